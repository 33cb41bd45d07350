import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connections } from '../src/db/schema.ts';
import { pushSubscriber } from '../src/push/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { consent, hubspotPushProgram, SandboxSalesforce } from './helpers/crm.ts';
import { crmCallCounter } from './helpers/crm-calls.ts';

interface PushLogEntry {
  id: string;
  action: string;
  crmId: string | null;
  crmCode: string | null;
  message: string | null;
  retryable: boolean;
}

const counter = crmCallCounter();
const crmCalls = counter.calls;

let testApp: TestApp;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [pushSubscriber],
    plugins: [{ prefix: '', plugin: counter.plugin }, ...sandboxPlugins(memorySandboxStore())],
  });
  api = (await testApp.newWorkspace()).api;
});
afterAll(() => testApp.close());

const uniqueEmail = (label: string) => `${label}.${Math.random().toString(36).slice(2, 8)}@prospect.example`;

const entriesOf = async (subjectId: string) =>
  (await api.get<{ data: PushLogEntry[] }>(`/api/v1/push-log?subjectId=${subjectId}&limit=200`)).body.data;

const created = (subjectId: string, timeoutMs = 20_000) =>
  eventually(async () => (await entriesOf(subjectId)).find((entry) => entry.action === 'created'), timeoutMs);

async function salesforceProgram() {
  const sf = await SandboxSalesforce.createOrg(testApp);
  const connectionId = await sf.connect(api);
  await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' });
  const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'SF resilience' })).body.id;
  const settings = await api.post<{ id: string }>('/api/v1/push-settings', {
    programId,
    connectionId,
    crmObject: 'Lead',
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(201);
  return { sf, connectionId, programId, settingsId: settings.body.id };
}

const hubspotProgram = () => hubspotPushProgram(testApp, api, 'HS resilience');

const referral = async (programId: string, label: string) =>
  (
    await api.post<{ id: string }>('/api/v1/referrals', {
      programId,
      lastName: label,
      company: 'Resilient Ltd',
      email: uniqueEmail(label),
    })
  ).body.id;

const connectionRow = async (id: string) => {
  const [row] = await testApp.app.ctx.db.select().from(connections).where(eq(connections.id, id));
  if (!row) throw new Error('no connection');
  return row;
};

describe('tokens', () => {
  it.each(['salesforce', 'hubspot'] as const)(
    '%s: an access token that expires mid-run is refreshed once and the push goes on',
    async (provider) => {
      const setup = provider === 'salesforce' ? await salesforceProgram() : await hubspotProgram();
      const first = await referral(setup.programId, 'before');
      await created(first);
      const before = await connectionRow(setup.connectionId);
      if ('sf' in setup) await setup.sf.admin('POST', '/faults/expire-tokens');
      else await setup.hs.admin('POST', '/expire-tokens');
      const second = await referral(setup.programId, 'after');
      await created(second);
      const after = await connectionRow(setup.connectionId);
      expect(after.status).toBe('connected');
      expect(after.accessTokenSealed).not.toBe(before.accessTokenSealed);
      expect((await entriesOf(second)).map((entry) => entry.action)).toEqual(['created']);
    },
  );

  it('a refresh the CRM refuses marks the connection needs_reauth; pushes wait and resume after reconnecting', async () => {
    const { sf, connectionId, programId } = await salesforceProgram();
    await sf.revokeTokensOf(connectionId);

    const waiting = await referral(programId, 'waiting');
    const entry = await eventually(async () =>
      (await entriesOf(waiting)).find((e) => e.action === 'waiting'),
    );
    expect(entry.message).toContain('Refreshing the access token failed');
    const connection = await api.get<{ status: string; lastError: string }>(
      `/api/v1/connections/${connectionId}`,
    );
    expect(connection.body.status).toBe('needs_reauth');
    expect(connection.body.lastError).toContain('Refreshing the access token failed');
    const alsoWaiting = await referral(programId, 'waiting2');
    await eventually(async () => (await entriesOf(alsoWaiting)).find((e) => e.action === 'waiting'));

    const again = await api.post<{ authorizeUrl: string }>(`/api/v1/connections/${connectionId}/authorize`);
    expect((await consent(again.body.authorizeUrl)).status).toBe(200);
    expect((await api.get<{ status: string }>(`/api/v1/connections/${connectionId}`)).body.status).toBe(
      'connected',
    );
    await created(waiting);
    await created(alsoWaiting);
  });
});

describe('limits and outages', () => {
  it('HubSpot 429s are waited out and the push succeeds', async () => {
    const { hs, programId } = await hubspotProgram();
    await hs.admin('PUT', '/faults', { force429Count: 2 });
    const id = await referral(programId, 'limited');
    await created(id, 30_000);
  });

  it('Salesforce daily limit: the push fails as retryable with the CRM code, and a retry after the limit succeeds', async () => {
    const { sf, programId } = await salesforceProgram();
    await sf.admin('PUT', '/limits', { dailyApiRequests: 5, used: 5 });
    const id = await referral(programId, 'daily');
    const failed = await eventually(async () => (await entriesOf(id)).find((e) => e.action === 'failed'));
    expect(failed).toMatchObject({ crmCode: 'REQUEST_LIMIT_EXCEEDED', retryable: true });
    await sf.admin('PUT', '/limits', { dailyApiRequests: 100_000, used: 0 });
    const retried = await api.post<{ queued: number }>('/api/v1/push-log/retry-failed', {});
    expect(retried.status).toBe(202);
    expect(retried.body.queued).toBeGreaterThanOrEqual(1);
    await created(id);
  });

  it('a CRM outage is retried with backoff until it recovers', async () => {
    const { sf, programId } = await salesforceProgram();
    await sf.admin('POST', '/faults/outage', { seconds: 2 });
    const id = await referral(programId, 'outage');
    const failed = await eventually(async () => (await entriesOf(id)).find((e) => e.action === 'failed'));
    expect(failed.retryable).toBe(true);
    await created(id, 40_000);
    const actions = (await entriesOf(id)).map((entry) => entry.action);
    expect(actions[0]).toBe('created');
    expect(actions.filter((action) => action === 'created')).toHaveLength(1);
  }, 60_000);
});

describe('backlogs', () => {
  it.each(['salesforce', 'hubspot'] as const)(
    '%s: an import of 300 referrals is pushed in batches, far below one call per referral',
    async (provider) => {
      const setup = provider === 'salesforce' ? await salesforceProgram() : await hubspotProgram();
      const ids: string[] = [];
      const before = crmCalls[provider];
      for (let i = 0; i < 300; i++) ids.push(await referral(setup.programId, `bulk${i}`));
      await eventually(async () => {
        const done = new Set<string>();
        let cursor: string | null = null;
        do {
          const query: string = `/api/v1/push-log?action=created&settingsId=${setup.settingsId}&limit=200${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await api.get<{
            data: Array<PushLogEntry & { subjectId: string }>;
            nextCursor: string | null;
          }>(query);
          for (const entry of page.body.data) done.add(entry.subjectId);
          cursor = page.body.nextCursor;
        } while (cursor);
        return ids.every((id) => done.has(id)) ? true : undefined;
      }, 60_000);
      const calls = crmCalls[provider] - before;
      expect(calls / ids.length).toBeLessThan(0.5);
    },
    90_000,
  );
});
