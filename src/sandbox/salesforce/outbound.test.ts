import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import type { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type NewOrg, type RunningSandbox, startSandbox } from '../../../test/helpers/sandbox-salesforce.ts';
import { isPositiveAck } from './outbound/ack.ts';
import type { DeliveryLogEntry, OutboundRule } from './state.ts';

const ACK = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
   <Ack>true</Ack>
  </notificationsResponse>
 </soapenv:Body>
</soapenv:Envelope>`;

type Reply = { status: number; body: string };

/** A listener that answers each request with the next scripted reply, then with a good ack. */
class Listener {
  readonly received: string[] = [];
  script: Reply[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        this.received.push(body);
        const reply = this.script.shift() ?? { status: 200, body: ACK };
        res.writeHead(reply.status, { 'content-type': 'text/xml' }).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}/outbound`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: false, parseTagValue: false });

interface ParsedNotification {
  Id: string;
  sObject: Record<string, string>;
}

function notificationsOf(body: string): {
  header: Record<string, unknown>;
  notifications: ParsedNotification[];
} {
  const doc = parser.parse(body) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
  const header = doc['soapenv:Envelope']?.['soapenv:Body']?.notifications ?? {};
  const raw = header.Notification;
  const notifications = (Array.isArray(raw) ? raw : [raw]) as ParsedNotification[];
  return { header, notifications };
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let sandbox: RunningSandbox;
let listener: Listener;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

// Each test gets its own listener, so retries of one test never reach another's.
beforeEach(async () => {
  listener = new Listener();
  await listener.start();
});

afterEach(async () => {
  await listener.stop();
});

/** An org whose retry delays run in milliseconds: 60 s × 0.002 = 120 ms for the first retry. */
async function fastOrg(settings: Record<string, unknown> = {}): Promise<{ org: NewOrg; conn: Connection }> {
  const org = await sandbox.createOrg({ outbound: { timeScale: 0.002, ...settings } });
  return { org, conn: await sandbox.login(org) };
}

async function addRule(org: NewOrg, body: Record<string, unknown>): Promise<OutboundRule> {
  const created = await sandbox.admin<OutboundRule>('POST', `/orgs/${org.orgId}/outbound-messages`, {
    endpointUrl: listener.url,
    ...body,
  });
  expect(created.status).toBe(201);
  return created.body;
}

async function deliveries(org: NewOrg): Promise<{ queued: unknown[]; log: DeliveryLogEntry[] }> {
  return (
    await sandbox.admin<{ queued: unknown[]; log: DeliveryLogEntry[] }>(
      'GET',
      `/orgs/${org.orgId}/deliveries`,
    )
  ).body;
}

describe('outbound messages', () => {
  it('redelivers until the listener answers the documented ack, reading values at send time', async () => {
    const { org, conn } = await fastOrg();
    const rule = await addRule(org, {
      object: 'Lead',
      condition: { kind: 'created' },
      fields: ['LastName', 'Email', 'Status'],
    });
    const start = listener.received.length;
    listener.script = [
      { status: 500, body: 'boom' },
      { status: 200, body: '' },
      { status: 200, body: ACK.replace('<Ack>true</Ack>', '<Ack>false</Ack>') },
    ];
    const lead = await conn
      .sobject('Lead')
      .create({ LastName: 'Ack <&> "test"', Company: 'Outbound', Email: 'first@out.test' });
    await waitFor(() => listener.received.length >= start + 1);
    await conn.sobject('Lead').update({ Id: lead.id ?? '', Email: 'later@out.test' });
    const bodies = await waitFor(
      () => listener.received.length >= start + 4 && listener.received.slice(start),
    );

    const first = notificationsOf(bodies[0] ?? '');
    expect(first.header.OrganizationId).toBe(org.orgId);
    expect(first.header.ActionId).toBe(rule.id);
    expect(String(first.header.ActionId)).toMatch(/^04k/);
    expect(first.header.SessionId).toMatchObject({ '@_xsi:nil': 'true' });
    expect(String(first.header.EnterpriseUrl)).toMatch(
      new RegExp(`/services/Soap/c/\\d+\\.0/${org.orgId.slice(0, 15)}$`),
    );
    const note = first.notifications[0];
    expect(note?.Id).toMatch(/^04l[a-zA-Z0-9]{15}$/);
    expect(note?.sObject).toMatchObject({
      '@_xsi:type': 'sf:Lead',
      '@_xmlns:sf': 'urn:sobject.enterprise.soap.sforce.com',
      'sf:Id': lead.id,
      'sf:LastName': 'Ack <&> "test"',
    });
    expect(Object.keys(note?.sObject ?? {}).filter((k) => k.startsWith('sf:'))).toEqual([
      'sf:Id',
      'sf:Email',
      'sf:LastName',
      'sf:Status',
    ]);
    expect(bodies[0]).toContain('<sf:LastName>Ack &lt;&amp;&gt; &quot;test&quot;</sf:LastName>');

    // Every attempt carries the same notification id, the listener's dedupe key.
    const createId = note?.Id;
    expect(bodies.map((b) => notificationsOf(b).notifications[0]?.Id)).toEqual([
      createId,
      createId,
      createId,
      createId,
    ]);
    expect(notificationsOf(bodies[3] ?? '').notifications[0]?.sObject['sf:Email']).toBe('later@out.test');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(listener.received.length).toBe(start + 4);
    const { log: entries, queued } = await deliveries(org);
    const forCreate = entries.filter((e) => e.notificationIds.includes(createId ?? ''));
    expect(forCreate.map((e) => e.outcome)).toEqual(['failed', 'failed', 'failed', 'acked']);
    expect(forCreate.map((e) => e.attempt)).toEqual([1, 2, 3, 4]);
    expect(queued).toHaveLength(0);
  });

  it('sends each message twice when duplicated delivery is on', async () => {
    const { org, conn } = await fastOrg({ duplicateDelivery: true });
    await addRule(org, { object: 'Contact', condition: { kind: 'created' }, fields: ['Email'] });
    const start = listener.received.length;
    await conn.sobject('Contact').create({ LastName: 'Twice', Email: 'twice@out.test' });
    const bodies = await waitFor(
      () => listener.received.length >= start + 2 && listener.received.slice(start, start + 2),
    );
    const [a, b] = bodies.map((body) => notificationsOf(body).notifications[0]?.Id);
    expect(a).toBeDefined();
    expect(a).toBe(b);
    const { log: entries } = await deliveries(org);
    expect(entries.map((e) => [e.outcome, e.duplicate])).toEqual([
      ['acked', false],
      ['acked', true],
    ]);
  });

  it('puts at most 100 notifications in one message', async () => {
    const { org, conn } = await fastOrg();
    await addRule(org, { object: 'Lead', condition: { kind: 'created' }, fields: ['Company'] });
    const start = listener.received.length;
    const records = Array.from({ length: 150 }, (_, i) => ({ LastName: `N${i}`, Company: 'Batch' }));
    await conn.sobject('Lead').create(records);
    const bodies = await waitFor(
      () => listener.received.length >= start + 2 && listener.received.slice(start, start + 2),
    );
    const sizes = bodies.map((body) => notificationsOf(body).notifications.length).sort((x, y) => x - y);
    expect(sizes).toEqual([50, 100]);
  });

  it('fires field-equals rules only when the record starts to match, also from the web page', async () => {
    const { org, conn } = await fastOrg();
    await addRule(org, {
      object: 'Lead',
      condition: { kind: 'field-equals', field: 'Status', value: 'Working - Contacted' },
      fields: ['Status'],
    });
    const start = listener.received.length;
    const lead = await conn.sobject('Lead').create({ LastName: 'Web', Company: 'Page' });
    const form = await fetch(`${sandbox.base}/_ui/orgs/${org.orgId}/leads/${lead.id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Status=Working+-+Contacted',
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    const bodies = await waitFor(
      () => listener.received.length >= start + 1 && listener.received.slice(start),
    );
    expect(notificationsOf(bodies[0] ?? '').notifications[0]?.sObject['sf:Status']).toBe(
      'Working - Contacted',
    );
    await conn.sobject('Lead').update({ Id: lead.id ?? '', Title: 'Still working' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(listener.received.length).toBe(start + 1);
  });

  it('drops notifications older than the give-up window and logs it', async () => {
    const { org, conn } = await fastOrg({ timeScale: 0.001, giveUpAfterSeconds: 300 });
    await addRule(org, {
      object: 'Account',
      fields: ['Name'],
      endpointUrl: 'http://127.0.0.1:9/unreachable',
    });
    await conn.sobject('Account').create({ Name: 'Never delivered' });
    const dropped = await (async () => {
      const started = Date.now();
      for (;;) {
        const state = await deliveries(org);
        const entry = state.log.find((e) => e.outcome === 'dropped');
        if (entry && state.queued.length === 0) return state;
        if (Date.now() - started > 5000) throw new Error('never dropped');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    expect(dropped.log.filter((e) => e.outcome === 'failed').length).toBeGreaterThan(0);
  });

  it('shows the delivery log on the web page', async () => {
    const orgs = (await sandbox.admin<{ orgId: string }[]>('GET', '/orgs')).body;
    const page = await fetch(`${sandbox.base}/_ui/orgs/${orgs[0]?.orgId}/deliveries`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('Delivery log');
    expect(text).toContain('acked');
  });
});

describe('acknowledgement parsing', () => {
  it.each([
    [ACK, true],
    [
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><o:notificationsResponse xmlns:o="http://soap.sforce.com/2005/09/outbound"><o:Ack>true</o:Ack></o:notificationsResponse></s:Body></s:Envelope>',
      true,
    ],
    [ACK.replace('<Ack>true</Ack>', '<Ack>false</Ack>'), false],
    [ACK.replace('http://soap.sforce.com/2005/09/outbound', 'urn:other'), false],
    ['<Ack>true</Ack>', false],
    ['', false],
    ['not xml at all <', false],
    [
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>x</faultcode></soapenv:Fault></soapenv:Body></soapenv:Envelope>',
      false,
    ],
  ])('%#: %s → %s', (body, expected) => {
    expect(isPositiveAck(body)).toBe(expected);
  });
});
