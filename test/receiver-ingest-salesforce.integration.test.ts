import { eq } from 'drizzle-orm';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events } from '../src/db/schema.ts';
import { type ApiClient, eventually, type TestApp } from './helpers/app.ts';
import { SandboxSalesforce } from './helpers/crm.ts';
import {
  deliveriesOf,
  type HookUrls,
  notificationId,
  outboundMessage,
  postSoap,
  salesforceIngestTools,
  startSalesforceIngest,
} from './helpers/salesforce-ingest.ts';

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let sf: SandboxSalesforce;
let connectionId: string;
let hooks: HookUrls;
let crm: jsforce.Connection;

beforeAll(async () => {
  ({ testApp, api, workspaceId, sf, connectionId, hooks, crm } = await startSalesforceIngest());
});
afterAll(() => testApp.close());

const { entriesOf, allEntries, newLead, setStatus } = salesforceIngestTools(() => ({
  testApp,
  workspaceId,
  crm,
}));

describe('hook URLs', () => {
  it('hands out URLs under the public URL, with one secret that stays the same', async () => {
    expect(hooks.salesforceOutboundUrl).toMatch(
      new RegExp(`^${testApp.url}/hooks/salesforce/${connectionId}/[A-Za-z0-9]{40}$`),
    );
    expect(hooks.transitionUrl).toBe(`${hooks.salesforceOutboundUrl}/transition`);
    expect(hooks.hubspotWebhookUrl).toBe(`${testApp.url}/hooks/hubspot`);
    const again = await api.get<HookUrls>(`/api/v1/connections/${connectionId}/hooks`);
    expect(again.body).toEqual(hooks);
    const connection = await api.get<Record<string, unknown>>(`/api/v1/connections/${connectionId}`);
    expect(connection.body).toHaveProperty('lastEntryAt');
    expect(JSON.stringify(connection.body)).not.toContain(hooks.salesforceOutboundUrl.split('/').at(-1));
  });

  it("answers 404 for another workspace's connection", async () => {
    const { api: stranger } = await testApp.newWorkspace('stranger');
    expect((await stranger.get(`/api/v1/connections/${connectionId}/hooks`)).status).toBe(404);
    expect((await testApp.anonymous.get(`/api/v1/connections/${connectionId}/hooks`)).status).toBe(401);
  });
});

describe('Salesforce outbound messages', () => {
  beforeAll(async () => {
    await sf.admin('POST', '/outbound-messages', {
      name: 'Lead status to refsync',
      object: 'Lead',
      condition: { kind: 'field-equals', field: 'Status', value: 'Working - Contacted', everyTime: true },
      fields: ['Status', 'Email', 'LastName', 'Company', 'LastModifiedDate', 'SystemModstamp', 'Phone'],
      endpointUrl: hooks.salesforceOutboundUrl,
    });
  });

  it('saves a Lead status change as a sales entry before acknowledging it', async () => {
    const leadId = await newLead();
    await setStatus(leadId, 'Working - Contacted');
    const [entry] = await eventually(async () => {
      const found = await entriesOf(leadId);
      return found.length > 0 ? found : undefined;
    });
    expect(entry).toMatchObject({
      source: 'salesforce_outbound',
      connectionId,
      objectType: 'Lead',
      recordId: leadId,
      status: expect.stringMatching(/^(received|success|ignored|review|failed)$/),
    });
    expect(entry?.dedupeKey).toMatch(/^sf:04l/);
    expect(entry?.fields).toMatchObject({ Id: leadId, Status: 'Working - Contacted', Company: 'Engines' });
    expect(entry?.fields).not.toHaveProperty('Phone'); // null fields are left out by Salesforce
    expect(entry?.receivedFields).toEqual(entry?.fields);
    expect(entry?.occurredAt).toBeInstanceOf(Date);
    expect(entry?.rawPayload).toContain('<notifications xmlns="http://soap.sforce.com/2005/09/outbound">');
    expect(entry?.rawPayload).toContain(sf.org.orgId);
    // The message reduced to this entry's notification.
    expect(entry?.rawPayload.match(/<Notification>/g)).toHaveLength(1);
    expect(entry?.rawPayload).toContain(`<Id>${entry?.dedupeKey.slice(3)}</Id>`);

    const deliveries = await eventually(async () => {
      const log = await deliveriesOf(sf, leadId);
      return log.some((d) => d.outcome === 'acked') ? log : undefined;
    });
    expect(deliveries.every((d) => d.outcome === 'acked' && d.httpStatus === 200)).toBe(true);
    expect(deliveries[0]?.notificationIds).toContain(entry?.dedupeKey.slice(3));

    const queued = await testApp.app.ctx.db
      .select()
      .from(events)
      .where(eq(events.subjectId, entry?.id ?? ''));
    expect(queued.map((event) => event.type)).toEqual(['sales_entry.received']);
    const connection = await api.get<{ lastEntryAt: string | null }>(`/api/v1/connections/${connectionId}`);
    expect(connection.body.lastEntryAt).not.toBeNull();
  });

  it('keeps one entry when Salesforce delivers the same message twice', async () => {
    await sf.admin('PATCH', '/outbound-settings', { duplicateDelivery: true });
    try {
      const leadId = await newLead();
      await setStatus(leadId, 'Working - Contacted');
      const log = await eventually(async () => {
        const found = await deliveriesOf(sf, leadId);
        return found.some((d) => d.duplicate) ? found : undefined;
      });
      expect(log.map((d) => [d.outcome, d.duplicate])).toEqual([
        ['acked', false],
        ['acked', true],
      ]);
      expect(log[0]?.notificationIds).toEqual(log[1]?.notificationIds);
      expect(await entriesOf(leadId)).toHaveLength(1);
    } finally {
      await sf.admin('PATCH', '/outbound-settings', { duplicateDelivery: false });
    }
  });

  it('answers the documented ack, takes 15-character org IDs and reads nil fields as null', async () => {
    const leadId = await newLead();
    const body = outboundMessage(sf.org.orgId.slice(0, 15), [
      { id: notificationId(), fields: { Id: leadId, Status: 'Open &amp; ready', Email: 'x@example.com' } },
    ]).replace('<sf:Email>x@example.com</sf:Email>', '<sf:Email xsi:nil="true"/>');
    const answer = await postSoap(hooks.salesforceOutboundUrl, body);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('text/xml; charset=utf-8');
    expect(answer.text).toContain('<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">');
    expect(answer.text).toContain('<Ack>true</Ack>');
    const [entry] = await entriesOf(leadId);
    expect(entry?.fields).toEqual({ Id: leadId, Status: 'Open & ready', Email: null });
    expect(entry?.occurredAt).toBeNull();
  });

  it('takes messages larger than the API body limit, up to 2 MB', async () => {
    const leadId = await newLead();
    const description = 'd'.repeat(1536 * 1024);
    const body = outboundMessage(sf.org.orgId, [
      { id: notificationId(), fields: { Id: leadId, Description: description } },
    ]);
    const answer = await postSoap(hooks.salesforceOutboundUrl, body);
    expect(answer.status).toBe(200);
    const [entry] = await entriesOf(leadId);
    expect(entry?.fields.Description).toBe(description);
  });

  it('answers 401 for a wrong secret or an unknown connection, and keeps nothing', async () => {
    const before = (await allEntries()).length;
    const body = outboundMessage(sf.org.orgId, [
      { id: notificationId(), fields: { Id: '00Q000000000001AAA' } },
    ]);
    const base = hooks.salesforceOutboundUrl.slice(0, hooks.salesforceOutboundUrl.lastIndexOf('/'));
    const secret = hooks.salesforceOutboundUrl.split('/').at(-1) ?? '';
    const wrong = `${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`;
    for (const url of [
      `${base}/${wrong}`,
      `${base}/short`,
      `${testApp.url}/hooks/salesforce/con_unknown/${secret}`,
      `${base}/${wrong}/transition?status=won`,
    ]) {
      const answer = await postSoap(url, body);
      expect(answer.status, url).toBe(401);
      expect(answer.text).toContain('<faultcode>soapenv:Client</faultcode>');
    }
    expect((await allEntries()).length).toBe(before);
  });

  it('answers 403 to another org sending to this URL, and keeps nothing', async () => {
    const other = await SandboxSalesforce.createOrg(testApp, { outbound: { timeScale: 0.002 } });
    await other.admin('POST', '/outbound-messages', {
      object: 'Lead',
      condition: { kind: 'created' },
      fields: ['Status'],
      endpointUrl: hooks.salesforceOutboundUrl,
    });
    const lead = await fetch(`${SandboxSalesforce.baseUrl(testApp)}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: other.org.clientId,
        client_secret: other.org.clientSecret,
        username: other.org.username,
        password: other.org.password,
      }),
    });
    const token = (await lead.json()) as { access_token: string; instance_url: string };
    const created = await fetch(`${token.instance_url}/services/data/v62.0/sobjects/Lead`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ LastName: 'Intruder', Company: 'Elsewhere' }),
    });
    const { id: leadId } = (await created.json()) as { id: string };
    const log = await eventually(async () => {
      const found = await deliveriesOf(other, leadId);
      return found.length > 0 ? found : undefined;
    });
    expect(log[0]).toMatchObject({ outcome: 'failed', httpStatus: 403 });
    expect(await entriesOf(leadId)).toHaveLength(0);
    await other.admin('DELETE', '');
  });
});

describe('unsafe and malformed SOAP', () => {
  const xxe =
    '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
    '<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>&xxe;</OrganizationId>' +
    '</notifications></soapenv:Body></soapenv:Envelope>';
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
    { length: 9 },
    (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
  ).join(
    '',
  )}]><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&lol9;</soapenv:Body></soapenv:Envelope>`;

  it('refuses an external entity with a SOAP fault and keeps the payload, unprocessed, for review', async () => {
    const answer = await postSoap(hooks.salesforceOutboundUrl, xxe);
    expect(answer.status).toBe(400);
    expect(answer.type).toBe('text/xml; charset=utf-8');
    expect(answer.text).toContain('<soapenv:Fault>');
    expect(answer.text).not.toContain('root:');
    const kept = (await allEntries()).filter((entry) => entry.rawPayload === xxe);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ status: 'failed', source: 'salesforce_outbound', connectionId });
    expect(kept[0]?.reason).toMatch(/^malformed SOAP: .*DOCTYPE/);
    expect(kept[0]?.dedupeKey).toMatch(/^sf:malformed:[0-9a-f]{64}$/);
    const queued = await testApp.app.ctx.db
      .select()
      .from(events)
      .where(eq(events.subjectId, kept[0]?.id ?? ''));
    expect(queued).toHaveLength(0);

    // Sent again: still one entry. From someone without the secret: nothing kept.
    expect((await postSoap(hooks.salesforceOutboundUrl, xxe)).status).toBe(400);
    const wrongUrl = `${hooks.salesforceOutboundUrl.slice(0, -3)}zzz`;
    const stranger = `${xxe}<!-- stranger -->`;
    expect((await postSoap(wrongUrl, stranger)).status).toBe(401);
    const after = await allEntries();
    expect(after.filter((entry) => entry.rawPayload === xxe)).toHaveLength(1);
    expect(after.filter((entry) => entry.rawPayload === stranger)).toHaveLength(0);
  });

  it('refuses a billion-laughs payload quickly', async () => {
    const started = Date.now();
    const answer = await postSoap(hooks.salesforceOutboundUrl, laughs);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('<faultcode>soapenv:Client</faultcode>');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it.each([
    [
      'an unclosed tag',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>',
    ],
    ['not XML at all', 'hello'],
    ['an empty body', ''],
    ['a SOAP body without notifications', '<Envelope><Body><other/></Body></Envelope>'],
    [
      'a notification without an Id',
      '<Envelope><Body><notifications><OrganizationId>X</OrganizationId><Notification><sObject/></Notification></notifications></Body></Envelope>',
    ],
  ])('answers 400 to %s and keeps it as a failed entry', async (_label, body) => {
    const answer = await postSoap(hooks.salesforceOutboundUrl, body);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('Malformed SOAP');
    const kept = (await allEntries()).filter((entry) => entry.rawPayload === body);
    expect(kept).toHaveLength(1);
    expect(kept[0]?.reason).toMatch(/^malformed SOAP: /);
  });

  it('refuses a body over 2 MB with 413', async () => {
    const answer = await postSoap(hooks.salesforceOutboundUrl, `<a>${'x'.repeat(2 * 1024 * 1024 + 10)}</a>`);
    expect(answer.status).toBe(413);
    expect(answer.text).toContain('<soapenv:Fault>');
  });
});

describe('rotating the hook secret', () => {
  it('gives new URLs and makes the old ones answer 401', async () => {
    const rotated = await api.post<HookUrls>(`/api/v1/connections/${connectionId}/hooks/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.salesforceOutboundUrl).not.toBe(hooks.salesforceOutboundUrl);
    const body = outboundMessage(sf.org.orgId, [
      { id: notificationId(), fields: { Id: '00Q000000000002AAA' } },
    ]);
    expect((await postSoap(hooks.salesforceOutboundUrl ?? '', body)).status).toBe(401);
    const accepted = await postSoap(rotated.body.salesforceOutboundUrl ?? '', body);
    expect(accepted.status).toBe(200);
    expect(accepted.text).toContain('<Ack>true</Ack>');
    const again = await api.get<HookUrls>(`/api/v1/connections/${connectionId}/hooks`);
    expect(again.body.salesforceOutboundUrl).toBe(rotated.body.salesforceOutboundUrl);
    const { api: stranger } = await testApp.newWorkspace('stranger');
    expect((await stranger.post(`/api/v1/connections/${connectionId}/hooks/rotate`)).status).toBe(404);
  });
});
