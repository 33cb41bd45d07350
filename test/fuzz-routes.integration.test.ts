import { createHmac } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntries } from '../src/db/schema.ts';
import { SandboxHubspot } from './helpers/crm.ts';
import { expectEachRan, fuzzAsync, fuzzRuns, fuzzTimeout, mutated, printFuzzCounts } from './helpers/fuzz.ts';
import {
  notificationId,
  outboundMessage,
  type SalesforceIngest,
  startSalesforceIngest,
} from './helpers/salesforce-ingest.ts';

/**
 * Generated and mutated input through the real HTTP routes (Fastify's inject, the real
 * database): never a 500, a 4xx that names the field for bad input, and nothing written
 * when a request is refused.
 */

printFuzzCounts('fuzz-routes');
const runs = fuzzRuns.route;
const timeout = fuzzTimeout(runs, 60);

let ingest: SalesforceIngest;
let hs: SandboxHubspot;
let orgId: string;
let referralId: string;
let salesforcePath: string;
let transitionPath: string;
const host = 'refsync.fuzz.test';

beforeAll(async () => {
  ingest = await startSalesforceIngest();
  orgId = ingest.sf.org.orgId;
  hs = await SandboxHubspot.createPortal(ingest.testApp);
  await hs.connect(ingest.api);
  const program = await ingest.api.post<{ id: string }>('/api/v1/programs', { name: 'Fuzz' });
  referralId = (
    await ingest.api.post<{ id: string }>('/api/v1/referrals', {
      programId: program.body.id,
      email: 'fuzz@example.com',
    })
  ).body.id;
  salesforcePath = new URL(ingest.hooks.salesforceOutboundUrl).pathname;
  transitionPath = new URL(ingest.hooks.transitionUrl).pathname;
}, 120_000);
afterAll(() => ingest.testApp.close());

const server = () => ingest.testApp.app.server;
const entryCount = async () =>
  (
    await ingest.testApp.app.ctx.db
      .select({ n: count() })
      .from(salesEntries)
      .where(eq(salesEntries.workspaceId, ingest.workspaceId))
  )[0]?.n ?? 0;

interface ErrorBody {
  error?: { code?: string; message?: string; details?: Array<{ field?: string; message?: string }> };
}

/** A refusal a user can act on: a 4xx with a code, a message, and each detail naming a field. */
function expectClearRefusal(status: number, text: string) {
  expect(status, text).toBeGreaterThanOrEqual(400);
  expect(status, text).toBeLessThan(500);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error?.code, text).toMatch(/^[a-z_]+$/);
  expect(body.error?.message?.length ?? 0, text).toBeGreaterThan(0);
  for (const detail of body.error?.details ?? []) {
    expect(detail.field?.length ?? 0, text).toBeGreaterThan(0);
    expect(detail.message?.length ?? 0, text).toBeGreaterThan(0);
  }
  return body;
}

const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '__proto__',
    '9999-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    -1,
    1e308,
    null,
  ),
);

/** Entries close to valid: each field either right, missing, or replaced by something hostile. */
const entryArb = fc.record(
  {
    eventId: fc.oneof(fc.string({ maxLength: 30 }), jsonish),
    objectType: fc.oneof(fc.constantFrom('Lead', 'deals', ' ', ''), jsonish),
    recordId: fc.oneof(fc.string({ maxLength: 30 }), jsonish),
    fields: fc.oneof(
      fc.dictionary(
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor')),
        jsonish,
        {
          maxKeys: 5,
        },
      ),
      jsonish,
    ),
    occurredAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.constantFrom('+010000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '2026-02-30T00:00:00Z', 'yesterday'),
      jsonish,
    ),
    connectionId: fc.oneof(fc.constantFrom('con_00000000000000000000000000'), jsonish),
  },
  { requiredKeys: [] },
);

/** Posts the text as sent; a 202 saved exactly its new entries, a refusal saved nothing. */
async function postEntries(text: string) {
  const before = await entryCount();
  const response = await server().inject({
    method: 'POST',
    url: '/api/v1/sales-entries',
    headers: { authorization: `Bearer ${ingest.api.key}`, 'content-type': 'application/json' },
    payload: text,
  });
  if (response.statusCode === 202) {
    const saved = JSON.parse(response.body) as { data: Array<{ duplicate: boolean }> };
    const added = saved.data.filter((entry) => !entry.duplicate).length;
    expect(await entryCount()).toBe(before + added);
    return;
  }
  const error = expectClearRefusal(response.statusCode, response.body);
  if (error.error?.code === 'validation_failed') expect(error.error.details?.length ?? 0).toBeGreaterThan(0);
  expect(await entryCount()).toBe(before);
}

describe('POST /api/v1/sales-entries', { timeout }, () => {
  it('answers 202 or a clear 4xx naming the field, and writes nothing when it refuses', async () => {
    const body = fc.oneof(
      entryArb,
      fc.array(entryArb, { maxLength: 4 }),
      jsonish,
      fc.array(fc.constant({ objectType: 'Lead', fields: {} }), { minLength: 101, maxLength: 102 }),
    );
    await fuzzAsync(
      'sales-entries: generated bodies',
      body,
      async (value) => {
        await postEntries(JSON.stringify(value));
      },
      runs,
    );
  });

  it('refuses mutated JSON text with a 4xx and writes nothing', async () => {
    const valid = JSON.stringify([
      {
        eventId: 'e1',
        objectType: 'Lead',
        recordId: '00Q1',
        fields: { Status: 'Won' },
        occurredAt: '2026-01-01T00:00:00Z',
      },
    ]);
    await fuzzAsync(
      'sales-entries: mutated JSON text',
      mutated(valid, [
        '\\u0000',
        '\\ud800',
        '"__proto__":{}',
        '{"a":'.repeat(40),
        '[',
        '1e999',
        '"occurredAt":"0001-01-01T00:00:00Z"',
      ]),
      postEntries,
      runs,
    );
  });
});

describe('HubSpot webhooks', { timeout }, () => {
  const url = `http://${host}/hooks/hubspot`;
  const signed = (body: string, secret = hs.portal.clientSecret) => {
    const timestamp = String(Date.now());
    const signature = createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from(`POST${url}`, 'utf8'), Buffer.from(body, 'utf8')]))
      .update(timestamp)
      .digest('base64');
    return {
      host,
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signature,
      'x-hubspot-request-timestamp': timestamp,
    };
  };
  const valid = () =>
    JSON.stringify([
      {
        eventId: 1,
        portalId: Number(hs.portal.portalId),
        subscriptionType: 'deal.propertyChange',
        objectId: 77,
        occurredAt: 1_767_225_600_000,
        propertyName: 'dealstage',
        propertyValue: 'closedwon',
      },
    ]);

  it('answers 204 or a clear 4xx to signed, mutated batches; never a 500', async () => {
    await fuzzAsync(
      'hubspot hook: signed mutated batches',
      fc.oneof(
        mutated(valid(), [
          '\\u0000',
          '"__proto__"',
          '{"eventId":1e30}',
          'null',
          '"portalId":"-1"',
          '"occurredAt":1e20',
        ]),
        fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      ),
      async (body) => {
        const response = await server().inject({
          method: 'POST',
          url: '/hooks/hubspot',
          headers: signed(body),
          payload: body,
        });
        if (response.statusCode === 204) return;
        expect(response.statusCode, response.body).not.toBe(401);
        expectClearRefusal(response.statusCode, response.body);
      },
      runs,
    );
  });

  it('answers 401 to forged or stale signatures and saves nothing', async () => {
    await fuzzAsync(
      'hubspot hook: forged and stale signatures',
      fc.record({
        secret: fc.string({ minLength: 1, maxLength: 30 }),
        staleBy: fc.option(fc.integer({ min: 5 * 60_000 + 1_000, max: 1e10 }), { nil: undefined }),
      }),
      async ({ secret, staleBy }) => {
        const body = valid();
        const before = await entryCount();
        const headers =
          staleBy === undefined
            ? signed(body, secret === hs.portal.clientSecret ? `${secret}x` : secret)
            : signed(body);
        if (staleBy !== undefined) {
          const timestamp = String(Date.now() - staleBy);
          headers['x-hubspot-request-timestamp'] = timestamp;
          headers['x-hubspot-signature-v3'] = createHmac('sha256', hs.portal.clientSecret)
            .update(Buffer.concat([Buffer.from(`POST${url}`, 'utf8'), Buffer.from(body, 'utf8')]))
            .update(timestamp)
            .digest('base64');
        }
        const response = await server().inject({
          method: 'POST',
          url: '/hooks/hubspot',
          headers,
          payload: body,
        });
        expect(response.statusCode, response.body).toBe(401);
        expect(JSON.parse(response.body).error.message).toMatch(
          staleBy === undefined ? /does not match/ : /more than 5 minutes off/,
        );
        expect(await entryCount()).toBe(before);
      },
      runs,
    );
  });
});

describe('Salesforce outbound messages and the transition URL', { timeout }, () => {
  const soap = (ids: string[] = [notificationId()]) =>
    outboundMessage(
      orgId,
      ids.map((id) => ({
        id,
        fields: { Id: '00Q000000000001AAA', Status: 'Working', Refsync_Referral_Id__c: referralId },
      })),
    );
  const fragments = [
    '<!DOCTYPE x [<!ENTITY a "b">]>',
    '&a;',
    '&#0;',
    '&#xD800;',
    '<__proto__/>',
    '<![CDATA[x]]>',
    '</sObject>',
    '00D000000000009AAA',
  ];

  it('acknowledges or answers a SOAP fault with a 4xx to mutated messages; never a 500', async () => {
    await fuzzAsync(
      'salesforce hook: mutated messages',
      mutated(soap(), fragments),
      async (body) => {
        const response = await server().inject({
          method: 'POST',
          url: salesforcePath,
          headers: { 'content-type': 'text/xml; charset=utf-8' },
          payload: body,
        });
        expect([200, 400, 403], response.body).toContain(response.statusCode);
        expect(response.body).toMatch(
          response.statusCode === 200 ? /<Ack>true<\/Ack>/ : /<faultstring>.+<\/faultstring>/s,
        );
      },
      runs,
    );
  });

  it('answers the transition URL with 200, 400, 404 or 422 whatever the query and body', async () => {
    const param = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.constantFrom(
        'submitted',
        'won',
        'qualified',
        "' OR 1=1 --",
        '__proto__',
        'Refsync_Referral_Id__c',
        'Id',
        '',
      ),
    );
    await fuzzAsync(
      'transition URL: generated queries and bodies',
      fc.record({
        status: fc.option(param, { nil: undefined }),
        field: fc.option(param, { nil: undefined }),
        feedbackField: fc.option(param, { nil: undefined }),
        body: fc.oneof(fc.constant(soap()), mutated(soap(), fragments)),
      }),
      async ({ status, field, feedbackField, body }) => {
        const query = new URLSearchParams();
        if (status !== undefined) query.set('status', status);
        if (field !== undefined) query.set('field', field);
        if (feedbackField !== undefined) query.set('feedbackField', feedbackField);
        const response = await server().inject({
          method: 'POST',
          url: `${transitionPath}?${query.toString()}`,
          headers: { 'content-type': 'text/xml; charset=utf-8' },
          payload: body,
        });
        expect([200, 400, 403, 404, 422], `${response.statusCode} ${response.body}`).toContain(
          response.statusCode,
        );
      },
      runs,
    );
  });

  it('ran the promised number of cases', () => expectEachRan(runs));
});
