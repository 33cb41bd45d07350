import { Writable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { soapBodyLimit } from '../src/crm/salesforce/hooks/routes.ts';
import { queryRows } from '../src/db/client.ts';
import { connections } from '../src/db/schema.ts';
import { eventually } from './helpers/app.ts';
import { apiRoutes, concretePath, type EveryRecord, startWithEveryRecord } from './helpers/every-record.ts';

/**
 * Hostile requests on every public route, with one record of every kind in the database:
 * bodies over the limit, SQL in list filters, and secrets looked for in every answer and
 * every log line of the whole flow.
 */

const lines: string[] = [];
const logDestination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});

let every: EveryRecord;
beforeAll(async () => {
  every = await startWithEveryRecord(logDestination);
}, 120_000);
afterAll(() => every.testApp.close());

/** The tables a request writes itself (background jobs write the others at any time). */
const requestTables = [
  'programs',
  'members',
  'referrals',
  'api_keys',
  'connections',
  'push_settings',
  'receiver_settings',
  'sales_entries',
  'reward_rules',
  'coupon_codes',
  'reward_settings',
  'webhook_endpoints',
  'notification_settings',
  'program_email_settings',
  'email_templates',
  'idempotency_keys',
];

async function tableCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of requestTables) {
    const rows = await queryRows<{ n: number }>(
      every.testApp.app.ctx.db,
      sql.raw(`select count(*)::int as n from ${table}`),
    );
    counts[table] = Number(rows[0]?.n ?? 0);
  }
  return counts;
}

/** Public routes a helper is still building: add them here once they exist (see docs/faults.md). */
const notYetCovered = [/^\/capture\//];
const apiBodyLimit = 1024 * 1024;

describe('bodies over the limit', { timeout: 120_000 }, () => {
  it('answer 413 on every public route that takes a body, and write nothing', async () => {
    const hooks = (
      await every.owner.get<{
        salesforceOutboundUrl: string;
        transitionUrl: string;
        hubspotWebhookUrl: string;
      }>(`/api/v1/connections/${every.ids.connections}/hooks`)
    ).body;
    const targets = [
      ...(await apiRoutes(every.testApp))
        .filter((route) => ['POST', 'PATCH', 'PUT'].includes(route.method))
        .map((route) => ({
          method: route.method,
          url: concretePath(route.path, every.ids),
          limit: apiBodyLimit,
          soap: false,
        })),
      {
        method: 'POST',
        url: new URL(hooks.salesforceOutboundUrl).pathname,
        limit: soapBodyLimit,
        soap: true,
      },
      {
        method: 'POST',
        url: `${new URL(hooks.transitionUrl).pathname}?status=won`,
        limit: soapBodyLimit,
        soap: true,
      },
      { method: 'POST', url: '/hooks/hubspot', limit: apiBodyLimit, soap: false },
    ].filter((target) => !notYetCovered.some((pattern) => pattern.test(target.url)));
    expect(targets.length).toBeGreaterThanOrEqual(45);

    const before = await tableCounts();
    for (const target of targets) {
      const filler = 'x'.repeat(target.limit);
      const payload = target.soap ? `<a>${filler}</a>` : JSON.stringify({ name: filler });
      const answer = await every.testApp.app.server.inject({
        method: target.method as 'POST',
        url: target.url,
        headers: {
          authorization: `Bearer ${every.ownerKey}`,
          'content-type': target.soap ? 'text/xml' : 'application/json',
          // The conversion script's routes answer only the program's allowed origins.
          ...(target.url.startsWith('/api/v1/capture/') ? { origin: 'https://shop.example' } : {}),
        },
        payload,
      });
      const what = `${target.method} ${target.url}`;
      expect(answer.statusCode, `${what}: ${answer.body.slice(0, 300)}`).toBe(413);
      if (target.soap) expect(answer.body, what).toContain(`larger than ${target.limit} bytes`);
      else expect(JSON.parse(answer.body).error.code, what).toBe('payload_too_large');
    }
    expect(await tableCounts()).toEqual(before);
  });
});

describe('SQL and patterns in list filters', { timeout: 120_000 }, () => {
  const payloads = ["' OR 1=1 --", '%', '_', '\\', "x'); drop table referrals; --", '*', '" OR ""="'];

  it('find nothing and never fail, on every list route and filter', async () => {
    let tried = 0;
    for (const { method, path, operation } of await apiRoutes(every.testApp)) {
      if (method !== 'GET') continue;
      const url = concretePath(path, every.ids);
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'query') continue;
        for (const payload of payloads) {
          const answer = await every.owner.get<{
            data?: unknown[];
            error?: { details?: Array<{ field: string }> };
          }>(`${url}?${new URLSearchParams({ [parameter.name]: payload })}`);
          const what = `${url}?${parameter.name}=${payload}`;
          tried += 1;
          if (answer.status === 400) {
            const fields = (answer.body.error?.details ?? []).map((detail) => detail.field);
            expect(fields.join(','), what).toContain(parameter.name);
            continue;
          }
          expect([200, 404], `${what}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
          if (answer.status === 200 && Array.isArray(answer.body.data) && parameter.name !== 'limit') {
            expect(answer.body.data, what).toEqual([]);
          }
        }
      }
    }
    expect(tried).toBeGreaterThanOrEqual(200);
    // The table a payload named is still there, with its rows.
    expect((await every.owner.get(`/api/v1/referrals/${every.ids.referrals}`)).status).toBe(200);
  });
});

describe('secrets after they were handed out', { timeout: 120_000 }, () => {
  it('appear in no API answer and no log line of the whole flow', async () => {
    const [connection] = await every.testApp.app.ctx.db
      .select()
      .from(connections)
      .where(eq(connections.id, every.ids.connections ?? ''));
    const sealed = [connection?.accessTokenSealed, connection?.refreshTokenSealed].filter(
      (value): value is string => typeof value === 'string',
    );
    const secrets = [...every.secrets, ...sealed.map((value) => every.testApp.app.ctx.secrets.open(value))];
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const secret of secrets) expect(secret.length).toBeGreaterThanOrEqual(8);

    // Let the flow's jobs (pushes, rewards, webhook attempts) run and log.
    await eventually(async () => {
      const jobs = await every.owner.get<{ data: Array<{ state: string }> }>('/api/v1/jobs');
      return jobs.body.data.every((job) => job.state !== 'created' && job.state !== 'active')
        ? true
        : undefined;
    }, 30_000).catch(() => undefined);

    let read = 0;
    for (const { method, path } of await apiRoutes(every.testApp)) {
      // The hook URLs carry the hook secret by design: they are what the CRM is given.
      if (method !== 'GET' || path.endsWith('/hooks')) continue;
      const answer = await every.owner.request('GET', concretePath(path, every.ids));
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      read += 1;
      for (const secret of secrets) expect(text.includes(secret), `${path} shows a secret`).toBe(false);
    }
    expect(read).toBeGreaterThanOrEqual(30);

    const log = lines.join('');
    expect(log.length).toBeGreaterThan(1000);
    const hookSecret = (
      await every.owner.get<{ salesforceOutboundUrl: string }>(
        `/api/v1/connections/${every.ids.connections}/hooks`,
      )
    ).body.salesforceOutboundUrl
      .split('/')
      .at(-1);
    for (const secret of [...secrets, hookSecret ?? '']) {
      expect(log.includes(secret), `the log holds the secret ${secret.slice(0, 4)}…`).toBe(false);
    }
  });
});
