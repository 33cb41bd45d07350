import { createHash, createHmac } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntries } from '../src/db/schema.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxHubspot } from './helpers/crm.ts';

interface WebhookDelivery {
  eventIds: number[];
  status: number | null;
  outcome: 'delivered' | 'retrying' | 'gave_up';
}

interface ErrorAnswer {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let hs: SandboxHubspot;
let connectionId: string;
let hookUrl: string;

beforeAll(async () => {
  testApp = await startTestApp({ plugins: sandboxPlugins(memorySandboxStore()) });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
  hs = await SandboxHubspot.createPortal(testApp);
  connectionId = await hs.connect(api);
  hookUrl = (await api.get<{ hubspotWebhookUrl: string }>(`/api/v1/connections/${connectionId}/hooks`)).body
    .hubspotWebhookUrl;
});
afterAll(() => testApp.close());

const allEntries = () =>
  testApp.app.ctx.db.select().from(salesEntries).where(eq(salesEntries.workspaceId, workspaceId));

const entriesOf = (recordId: string) =>
  testApp.app.ctx.db
    .select()
    .from(salesEntries)
    .where(and(eq(salesEntries.workspaceId, workspaceId), eq(salesEntries.recordId, recordId)));

const crm = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const response = await fetch(`${SandboxHubspot.baseUrl(testApp)}${path}`, {
    method,
    headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
};

let nextEventId = 900_000;
const event = (overrides: Record<string, unknown> = {}) => ({
  eventId: nextEventId++,
  subscriptionId: 1,
  portalId: Number(hs.portal.portalId),
  appId: Number(hs.portal.appId),
  occurredAt: Date.now(),
  subscriptionType: 'deal.propertyChange',
  attemptNumber: 0,
  objectId: 4242,
  propertyName: 'dealstage',
  propertyValue: 'closedwon',
  changeSource: 'CRM_UI',
  ...overrides,
});

function v3Headers(body: string, options: { secret?: string; url?: string; timestamp?: number } = {}) {
  const timestamp = options.timestamp ?? Date.now();
  const signature = createHmac('sha256', options.secret ?? hs.portal.clientSecret)
    .update(`POST${options.url ?? hookUrl}${body}${timestamp}`, 'utf8')
    .digest('base64');
  return { 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(timestamp) };
}

const postWebhook = async (body: string, headers: Record<string, string>) => {
  const response = await fetch(hookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
};

describe('HubSpot webhooks', () => {
  it('saves a deal stage change sent by the sandbox, with its v3 signature checked', async () => {
    await hs.admin('PUT', '/webhooks', { targetUrl: hookUrl, gatherMs: 20 });
    await hs.admin('POST', '/webhooks/subscriptions', {
      subscriptionType: 'deal.propertyChange',
      propertyName: 'dealstage',
    });
    const deal = await crm<{ id: string }>('POST', '/crm/v3/objects/deals', {
      properties: { dealname: 'Big one', pipeline: 'default', dealstage: 'appointmentscheduled' },
    });
    await crm('PATCH', `/crm/v3/objects/deals/${deal.id}`, { properties: { dealstage: 'closedwon' } });
    const won = await eventually(async () =>
      (await entriesOf(deal.id)).find((entry) => entry.fields.dealstage === 'closedwon'),
    );
    expect(won).toMatchObject({
      source: 'hubspot_webhook',
      connectionId,
      objectType: 'deals',
      recordId: deal.id,
      fields: { dealstage: 'closedwon' },
    });
    expect(won.dedupeKey).toMatch(new RegExp(`^hs:${hs.portal.portalId}:\\d+$`));
    expect(won.occurredAt).toBeInstanceOf(Date);
    const raw = JSON.parse(won.rawPayload) as Record<string, unknown>;
    expect(raw).toMatchObject({ subscriptionType: 'deal.propertyChange', propertyValue: 'closedwon' });
    expect(won.dedupeKey).toBe(`hs:${hs.portal.portalId}:${String(raw.eventId)}`);

    const log = await eventually(async () => {
      const { results } = await hs.admin<{ results: WebhookDelivery[] }>('GET', '/webhooks/deliveries');
      return results.find((d) => d.eventIds.includes(Number(raw.eventId)));
    });
    expect(log).toMatchObject({ status: 204, outcome: 'delivered' });
    const connection = await api.get<{ lastEntryAt: string | null }>(`/api/v1/connections/${connectionId}`);
    expect(connection.body.lastEntryAt).not.toBeNull();
  });

  it('keeps one entry per event when HubSpot delivers it again', async () => {
    const body = JSON.stringify([event({ objectId: 5151 })]);
    expect((await postWebhook(body, v3Headers(body))).status).toBe(204);
    expect((await postWebhook(body, v3Headers(body))).status).toBe(204);
    expect(await entriesOf('5151')).toHaveLength(1);
  });

  it.each([
    ['a forged signature', (body: string) => v3Headers(body, { secret: 'not-the-client-secret' })],
    [
      'a timestamp older than 5 minutes',
      (body: string) => v3Headers(body, { timestamp: Date.now() - 301_000 }),
    ],
    ['a timestamp far in the future', (body: string) => v3Headers(body, { timestamp: Date.now() + 301_000 })],
    ['a signature of another body', (body: string) => v3Headers(body.replace('closedwon', 'closedlost'))],
    ['a signature of another URL', (body: string) => v3Headers(body, { url: `${hookUrl}?x=1` })],
    ['no signature', () => ({})],
    [
      'a v1 signature while legacy signatures are off',
      (body: string) => ({
        'X-HubSpot-Signature': createHash('sha256')
          .update(hs.portal.clientSecret + body)
          .digest('hex'),
        'X-HubSpot-Signature-Version': 'v1',
      }),
    ],
  ])('answers 401 to %s and saves nothing', async (_label, headersFor) => {
    const before = (await allEntries()).length;
    const body = JSON.stringify([event({ objectId: 6161 })]);
    const answer = await postWebhook(body, headersFor(body));
    expect(answer.status).toBe(401);
    expect((JSON.parse(answer.text) as ErrorAnswer).error.code).toBe('unauthorized');
    expect((await allEntries()).length).toBe(before);
  });

  it('accepts v1 and v2 signatures only when configured', async () => {
    const config = testApp.app.ctx.config;
    config.hubspotLegacySignatures = true;
    try {
      const v1Body = JSON.stringify([event({ objectId: 7171 })]);
      const v1 = createHash('sha256')
        .update(hs.portal.clientSecret + v1Body)
        .digest('hex');
      expect(
        (await postWebhook(v1Body, { 'X-HubSpot-Signature': v1, 'X-HubSpot-Signature-Version': 'v1' }))
          .status,
      ).toBe(204);
      const v2Body = JSON.stringify([event({ objectId: 7272 })]);
      const v2 = createHash('sha256')
        .update(`${hs.portal.clientSecret}POST${hookUrl}${v2Body}`)
        .digest('hex');
      expect(
        (await postWebhook(v2Body, { 'X-HubSpot-Signature': v2, 'X-HubSpot-Signature-Version': 'v2' }))
          .status,
      ).toBe(204);
      expect(
        (await postWebhook(v2Body, { 'X-HubSpot-Signature': v1, 'X-HubSpot-Signature-Version': 'v2' }))
          .status,
      ).toBe(401);
      expect(await entriesOf('7171')).toHaveLength(1);
      expect(await entriesOf('7272')).toHaveLength(1);
    } finally {
      config.hubspotLegacySignatures = false;
    }
  });

  it('checks v3 against REFSYNC_PUBLIC_URL when it is set', async () => {
    const config = testApp.app.ctx.config;
    const saved = { publicUrl: config.publicUrl, publicUrlGiven: config.publicUrlGiven };
    config.publicUrl = 'https://refsync.example.com';
    config.publicUrlGiven = true;
    try {
      const body = JSON.stringify([event({ objectId: 8181 })]);
      expect((await postWebhook(body, v3Headers(body))).status).toBe(401);
      const publicUrl = 'https://refsync.example.com/hooks/hubspot';
      expect((await postWebhook(body, v3Headers(body, { url: publicUrl }))).status).toBe(204);
      expect(await entriesOf('8181')).toHaveLength(1);
    } finally {
      Object.assign(config, saved);
    }
  });

  it('answers 204 to events of a portal with no connection, and saves nothing', async () => {
    const before = (await allEntries()).length;
    const body = JSON.stringify([event({ portalId: 999_999_999 })]);
    expect((await postWebhook(body, v3Headers(body))).status).toBe(204);
    expect((await allEntries()).length).toBe(before);
  });

  it('maps subscription types to object types and keeps events without a property', async () => {
    const body = JSON.stringify([
      event({
        subscriptionType: 'contact.creation',
        objectId: 9101,
        propertyName: undefined,
        changeFlag: 'NEW',
      }),
      event({
        subscriptionType: 'company.propertyChange',
        objectId: 9102,
        propertyName: 'name',
        propertyValue: 'X',
      }),
    ]);
    expect((await postWebhook(body, v3Headers(body))).status).toBe(204);
    const [contact] = await entriesOf('9101');
    const [company] = await entriesOf('9102');
    expect(contact).toMatchObject({ objectType: 'contacts', fields: {} });
    expect(company).toMatchObject({ objectType: 'companies', fields: { name: 'X' } });
  });

  it('answers 400 to a body that is not a JSON array of events', async () => {
    for (const body of ['not json', '{"eventId":1}', '[{"portalId":1}]']) {
      const answer = await postWebhook(body, v3Headers(body));
      expect(answer.status, body).toBe(400);
    }
  });
});

describe('HubSpot webhooks: the signature comes first', () => {
  it('answers 401, not 400, to an unparseable body with a bad signature', async () => {
    for (const body of ['not json', '[{"eventId":']) {
      const answer = await postWebhook(body, v3Headers(body, { secret: 'not-the-client-secret' }));
      expect(answer.status, body).toBe(401);
      expect((JSON.parse(answer.text) as ErrorAnswer).error.code).toBe('unauthorized');
    }
    const unsigned = await postWebhook('not json', {});
    expect(unsigned.status).toBe(401);
  });

  it('ignores X-Forwarded-Host from a proxy that is not trusted', async () => {
    const before = (await allEntries()).length;
    const body = JSON.stringify([event({ objectId: 5151 })]);
    const forged = 'https://attacker.example/hooks/hubspot';
    const answer = await postWebhook(body, {
      ...v3Headers(body, { url: forged }),
      'X-Forwarded-Host': 'attacker.example',
      'X-Forwarded-Proto': 'https',
    });
    expect(answer.status).toBe(401);
    expect((await allEntries()).length).toBe(before);
  });
});

describe('HubSpot webhooks behind a trusted proxy', () => {
  it('checks the signature against the forwarded host when the proxy is named in REFSYNC_TRUST_PROXY', async () => {
    const proxied = await startTestApp({
      plugins: sandboxPlugins(memorySandboxStore()),
      env: { REFSYNC_TRUST_PROXY: '127.0.0.1/32,::1' },
    });
    try {
      const workspace = await proxied.newWorkspace();
      const portal = await SandboxHubspot.createPortal(proxied);
      await portal.connect(workspace.api);
      const body = JSON.stringify([
        { ...event({ objectId: 5252 }), portalId: Number(portal.portal.portalId) },
      ]);
      const publicHookUrl = 'https://refsync.example.org/hooks/hubspot';
      const answer = await fetch(`${proxied.url}/hooks/hubspot`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'X-Forwarded-Host': 'refsync.example.org',
          'X-Forwarded-Proto': 'https',
          ...v3Headers(body, { url: publicHookUrl, secret: portal.portal.clientSecret }),
        },
        body,
      });
      expect(answer.status).toBe(204);
    } finally {
      await proxied.close();
    }
  }, 120_000);
});

describe('sales entries through the API', () => {
  interface Accepted {
    data: Array<{ id: string; duplicate: boolean }>;
  }

  it('saves one entry and recognizes its eventId when sent again', async () => {
    const entry = {
      eventId: 'zap-1',
      objectType: 'Deal',
      recordId: 'D-1',
      fields: { stage: 'won', amount: 1200 },
      occurredAt: '2026-01-02T03:04:05Z',
    };
    const first = await api.post<Accepted>('/api/v1/sales-entries', entry);
    expect(first.status).toBe(202);
    expect(first.body.data).toEqual([{ id: expect.stringMatching(/^sle_/), duplicate: false }]);
    const again = await api.post<Accepted>('/api/v1/sales-entries', entry);
    expect(again.body.data).toEqual([{ id: first.body.data[0]?.id, duplicate: true }]);
    const [saved] = await entriesOf('D-1');
    expect(saved).toMatchObject({
      source: 'api',
      dedupeKey: 'api:zap-1',
      objectType: 'Deal',
      connectionId: null,
      fields: { stage: 'won', amount: 1200 },
      occurredAt: new Date('2026-01-02T03:04:05Z'),
    });
    expect(JSON.parse(saved?.rawPayload ?? '{}')).toEqual(entry);
  });

  it('takes a list, and gives an entry without eventId an ID of its own', async () => {
    const answer = await api.post<Accepted>('/api/v1/sales-entries', [
      { objectType: 'Lead', recordId: 'L-1', fields: {} },
      { objectType: 'Lead', recordId: 'L-1', fields: {} },
      { eventId: 'same', objectType: 'Lead', recordId: 'L-2', fields: {}, connectionId },
      { eventId: 'same', objectType: 'Lead', recordId: 'L-2', fields: {} },
    ]);
    expect(answer.status).toBe(202);
    expect(answer.body.data.map((result) => result.duplicate)).toEqual([false, false, false, true]);
    expect(await entriesOf('L-1')).toHaveLength(2);
    const [withConnection] = await entriesOf('L-2');
    expect(withConnection?.connectionId).toBe(connectionId);
  });

  it.each([
    [{ fields: {} }, ['objectType']],
    [{ objectType: 'Lead', fields: 'x' }, ['fields']],
    [{ objectType: '', fields: {}, occurredAt: 'yesterday' }, ['objectType', 'occurredAt']],
    [[{ objectType: 'Lead', fields: {} }, { fields: {} }], ['1.objectType']],
    [[], ['body']],
    [Array.from({ length: 101 }, () => ({ objectType: 'Lead', fields: {} })), ['body']],
    [{ objectType: 'Lead', fields: {}, connectionId: 'con_nothere' }, ['connectionId']],
  ])('answers 400 naming each bad field (%j)', async (body, fields) => {
    const before = (await allEntries()).length;
    const answer = await api.post<ErrorAnswer>('/api/v1/sales-entries', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details?.map((issue) => issue.field).sort()).toEqual(fields);
    expect((await allEntries()).length).toBe(before);
  });

  it("refuses another workspace's connection and needs an API key", async () => {
    const { api: stranger } = await testApp.newWorkspace('stranger');
    const answer = await stranger.post<ErrorAnswer>('/api/v1/sales-entries', [
      { objectType: 'Lead', fields: {} },
      { objectType: 'Lead', fields: {}, connectionId },
    ]);
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([
      { field: '1.connectionId', message: 'no such connection in this workspace' },
    ]);
    const anonymous = await testApp.anonymous.post('/api/v1/sales-entries', {
      objectType: 'Lead',
      fields: {},
    });
    expect(anonymous.status).toBe(401);
  });
});
