import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';

/**
 * Values PostgreSQL or JavaScript cannot hold (NUL, lone surrogates, dates out of range,
 * absurd nesting, prototype keys) arriving through every ingest path: a CRM hook keeps the
 * rest of its batch and saves the bad item as a `failed` entry. No path answers 500. (The
 * API's side: receiver-ingest-poison-api.integration.test.ts.)
 */

interface Entry {
  id: string;
  status: string;
  reason: string | null;
  objectType: string | null;
  recordId: string | null;
  fields: Record<string, unknown>;
  rawPayload: string;
}

let testApp: TestApp;
let api: ApiClient;
let hs: SandboxHubspot;
let hubspotConnectionId: string;
let hubspotUrl: string;
let sf: SandboxSalesforce;
let salesforceConnectionId: string;
let outboundUrl: string;
let transitionUrl: string;

beforeAll(async () => {
  testApp = await startTestApp({ plugins: sandboxPlugins(memorySandboxStore()) });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  hs = await SandboxHubspot.createPortal(testApp);
  hubspotConnectionId = await hs.connect(api);
  hubspotUrl = (
    await api.get<{ hubspotWebhookUrl: string }>(`/api/v1/connections/${hubspotConnectionId}/hooks`)
  ).body.hubspotWebhookUrl;
  sf = await SandboxSalesforce.createOrg(testApp);
  salesforceConnectionId = await sf.connect(api);
  const hooks = await api.get<{ salesforceOutboundUrl: string; transitionUrl: string }>(
    `/api/v1/connections/${salesforceConnectionId}/hooks`,
  );
  outboundUrl = hooks.body.salesforceOutboundUrl;
  transitionUrl = hooks.body.transitionUrl;
});
afterAll(() => testApp.close());

/** Every entry of a connection, raw payload included, as the entries API shows them. */
async function entriesOf(connectionId: string): Promise<Entry[]> {
  const list = await api.get<{ data: Entry[] }>(
    `/api/v1/sales-entries?limit=200&connectionId=${connectionId}`,
  );
  expect(list.status).toBe(200);
  return Promise.all(
    list.body.data.map(async (entry) => (await api.get<Entry>(`/api/v1/sales-entries/${entry.id}`)).body),
  );
}

const byRecord = (entries: Entry[], recordId: string) =>
  entries.filter((entry) => entry.recordId === recordId);

/** JSON nested `depth` objects deep, as text: JSON.stringify could not write it. */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const postSoap = async (url: string, body: string) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
    body,
  });
  return { status: response.status, text: await response.text() };
};

describe('HubSpot webhooks', () => {
  let nextEventId = 700_000;
  let nextObjectId = 31_000;
  const event = (overrides: Record<string, unknown> = {}) => ({
    eventId: nextEventId++,
    subscriptionId: 1,
    portalId: Number(hs.portal.portalId),
    appId: Number(hs.portal.appId),
    occurredAt: Date.now(),
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: nextObjectId++,
    propertyName: 'dealstage',
    propertyValue: 'closedwon',
    changeSource: 'CRM_UI',
    ...overrides,
  });

  const post = async (body: string) => {
    const timestamp = Date.now();
    const signature = createHmac('sha256', hs.portal.clientSecret)
      .update(`POST${hubspotUrl}${body}${timestamp}`, 'utf8')
      .digest('base64');
    const response = await fetch(hubspotUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-HubSpot-Signature-v3': signature,
        'X-HubSpot-Request-Timestamp': String(timestamp),
      },
      body,
    });
    return { status: response.status, text: await response.text() };
  };

  type Sent = ReturnType<typeof event>;
  /** The bad event's JSON text, made from a good one: some poison JSON.stringify cannot write. */
  const poisons: Array<[string, (sent: Sent) => string, string]> = [
    [
      'a NUL character',
      (sent) => JSON.stringify({ ...sent, propertyValue: 'Closed\u0000Won' }),
      'propertyValue: contains a NUL character',
    ],
    [
      'a lone surrogate',
      (sent) => JSON.stringify({ ...sent, propertyValue: 'Closed\ud800Won' }),
      'propertyValue: contains a lone surrogate',
    ],
    [
      'a lone surrogate in a property name',
      (sent) => JSON.stringify({ ...sent, propertyName: 'stage\udc00' }),
      'propertyName: contains a lone surrogate',
    ],
    [
      'a time in year 10000',
      (sent) => JSON.stringify({ ...sent, occurredAt: 253_402_300_800_000 }),
      'occurredAt: is not between 1970-01-01 and 9999-12-31',
    ],
    [
      'a time JavaScript cannot hold',
      (sent) => JSON.stringify({ ...sent, occurredAt: 8_640_000_000_000_001 }),
      'occurredAt: is not between 1970-01-01 and 9999-12-31',
    ],
    [
      'a __proto__ key',
      (sent) => JSON.stringify(sent).replace(/^\{/, '{"__proto__":{"polluted":true},'),
      '__proto__: is a reserved name',
    ],
    [
      'a constructor key',
      (sent) => JSON.stringify(sent).replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},'),
      'constructor: is a reserved name',
    ],
    [
      'extra data nested 100,000 deep',
      (sent) => JSON.stringify(sent).replace(/^\{/, `{"extra":${deepJson(100_000)},`),
      `extra${'.a'.repeat(31)}: is nested deeper than 32 levels`,
    ],
  ];

  it.each(poisons)(
    'saves the rest of a batch with %s and keeps the bad event as failed',
    async (_label, poison, reason) => {
      const good = event();
      const bad = event();
      const body = `[${JSON.stringify(good)},${poison(bad)}]`;
      for (const attempt of [1, 2]) {
        const answer = await post(body);
        expect(answer.status, `${attempt}: ${answer.text}`).toBe(204);
      }
      const entries = await entriesOf(hubspotConnectionId);
      const saved = byRecord(entries, String(good.objectId));
      expect(saved).toHaveLength(1);
      expect(saved[0]).toMatchObject({
        status: 'received',
        reason: null,
        fields: { dealstage: 'closedwon' },
      });
      const refused = byRecord(entries, String(bad.objectId));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ status: 'failed', fields: {} });
      expect(refused[0]?.reason).toContain(reason);
      expect(refused[0]?.rawPayload).toContain(`"eventId":${bad.eventId}`);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('reads a subscription type named like a prototype key as a plain name', async () => {
    const events = [
      event({ subscriptionType: '__proto__', propertyName: undefined }),
      event({ subscriptionType: 'constructor.propertyChange' }),
      event({ subscriptionType: 'hasOwnProperty.creation', propertyName: undefined }),
    ];
    const answer = await post(JSON.stringify(events));
    expect(answer.status, answer.text).toBe(204);
    const entries = await entriesOf(hubspotConnectionId);
    expect(events.map((sent) => byRecord(entries, String(sent.objectId))[0]?.objectType)).toEqual([
      '__proto__',
      'constructor',
      'hasOwnProperty',
    ]);
  });
});

describe('Salesforce outbound messages', () => {
  const notificationId = () => `04l${Math.random().toString(36).slice(2, 14).padEnd(12, '0')}AAA`;
  let nextLead = 100;
  const leadId = () => `00Q0000000${String(nextLead++).padStart(5, '0')}AAA`;

  /** `fields` values are written into the XML as they are (entities and all). */
  function message(notifications: Array<{ id: string; fields: Record<string, string> }>): string {
    const items = notifications
      .map(
        (n) =>
          `<Notification><Id>${n.id}</Id><sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
          Object.entries(n.fields)
            .map(([name, value]) => `<sf:${name}>${value}</sf:${name}>`)
            .join('') +
          '</sObject></Notification>',
      )
      .join('');
    return (
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
      '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
      `<OrganizationId>${sf.org.orgId}</OrganizationId>${items}</notifications></soapenv:Body></soapenv:Envelope>`
    );
  }

  it.each([
    ['a raw NUL character', { Company: 'Acme\u0000Corp' }, 'fields.Company: contains a NUL character'],
    ['a lone surrogate reference', { Company: 'Acme&#xD800;' }, 'fields.Company: contains a lone surrogate'],
    ['a modstamp in year 0', { SystemModstamp: '0000-01-01T00:00:00Z' }, 'occurredAt: is not between'],
  ])(
    'acks a message with %s, saving the good notification and the bad one as failed',
    async (_label, bad, reason) => {
      const good = leadId();
      const poisoned = leadId();
      const body = message([
        { id: notificationId(), fields: { Id: good, Company: 'Fine Ltd' } },
        { id: notificationId(), fields: { Id: poisoned, ...bad } },
      ]);
      for (const attempt of [1, 2]) {
        const answer = await postSoap(outboundUrl, body);
        expect(answer.status, `${attempt}: ${answer.text}`).toBe(200);
        expect(answer.text).toContain('<Ack>true</Ack>');
      }
      const entries = await entriesOf(salesforceConnectionId);
      const saved = byRecord(entries, good);
      expect(saved).toHaveLength(1);
      expect(saved[0]).toMatchObject({ status: 'received', fields: { Id: good, Company: 'Fine Ltd' } });
      const refused = byRecord(entries, poisoned);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ status: 'failed', fields: {} });
      expect(refused[0]?.reason).toContain(reason);
      expect(refused[0]?.rawPayload).toContain(poisoned);
      expect(refused[0]?.rawPayload).not.toContain('\u0000');
      // Each entry keeps the message with only its own notification; the NUL is kept escaped.
      expect(saved[0]?.rawPayload).toContain(good);
      expect(saved[0]?.rawPayload).not.toContain(poisoned);
      if ('Company' in bad && bad.Company.includes('\u0000'))
        expect(refused[0]?.rawPayload).toContain('Acme\\u0000Corp');
    },
  );

  it('keeps a transition notification whose referral ID field holds a NUL as failed', async () => {
    const poisoned = leadId();
    const body = message([
      { id: notificationId(), fields: { Id: poisoned, Refsync_Referral_Id__c: 'ref_\u0000' } },
    ]);
    const answer = await postSoap(`${transitionUrl}?status=won`, body);
    expect(answer.status, answer.text).toBe(200);
    const [refused] = byRecord(await entriesOf(salesforceConnectionId), poisoned);
    expect(refused).toMatchObject({ status: 'failed' });
    expect(refused?.reason).toContain('fields.Refsync_Referral_Id__c: contains a NUL character');
  });

  it('keeps an unreadable message holding a NUL for review, escaped', async () => {
    const body = `<soapenv:Envelope>\u0000${Math.random()}`;
    const answer = await postSoap(outboundUrl, body);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.text).toContain('<faultcode>soapenv:Client</faultcode>');
    const kept = (await entriesOf(salesforceConnectionId)).filter((entry) =>
      entry.rawPayload.startsWith('<soapenv:Envelope>\\u0000'),
    );
    expect(kept).toHaveLength(1);
    expect(kept[0]?.status).toBe('failed');
  });

  it('answers 401 to a hook URL with a NUL in it', async () => {
    const base = outboundUrl.slice(0, outboundUrl.indexOf('/hooks/salesforce/'));
    const secret = outboundUrl.split('/').at(-1) ?? '';
    for (const url of [
      `${base}/hooks/salesforce/con_%00/${secret}`,
      `${base}/hooks/salesforce/${salesforceConnectionId}/%00${secret}`,
    ]) {
      const answer = await postSoap(url, message([]));
      expect(answer.status, url).toBe(401);
    }
  });
});
