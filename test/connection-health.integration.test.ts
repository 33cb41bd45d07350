import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events } from '../src/db/schema.ts';
import { notificationSubscriber } from '../src/notifications/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { webhookSubscriber } from '../src/webhooks/subscriber.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { consent, SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';
import { pollThroughApi } from './helpers/poller.ts';
import { newProgram, newReceiverSettings } from './helpers/receiver.ts';
import { SmtpSink } from './helpers/smtp-sink.ts';
import { WebhookReceiver } from './helpers/webhook-receiver.ts';

/**
 * A connection's health alerts, against the sandbox CRMs: a field deleted in the CRM, the
 * CRM's rate limit, refused tokens and events that stop arriving each show in the API in
 * words, are told once by webhook and email, and clear by themselves when the condition ends.
 */

interface Alert {
  code: string;
  key: string;
  message: string;
  since: string;
  object: string | null;
  field: string | null;
  settings: Array<{ kind: string; id: string; path: string; programName: string }>;
}

interface Connection {
  id: string;
  status: string;
  health: { alerts: Alert[] };
}

const smtp = new SmtpSink();
const receiver = new WebhookReceiver();
let testApp: TestApp;
let api: ApiClient;
const admin = 'ops@company.example';

beforeAll(async () => {
  await smtp.start();
  await receiver.start();
  testApp = await startTestApp({
    subscribers: [webhookSubscriber, notificationSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
    env: {
      REFSYNC_SMTP_URL: smtp.url,
      REFSYNC_WEBHOOKS_ALLOW_PRIVATE: '1',
      REFSYNC_RATE_LIMIT_QUIET_SECONDS: '2',
      REFSYNC_EVENTS_SILENCE_POLLS: '2',
      REFSYNC_EVENTS_SILENCE_SECONDS: '600',
    },
  });
  const workspace = await testApp.newWorkspace('Health');
  api = workspace.api;
  const settings = await api.request('PUT', '/api/v1/notification-settings', {
    body: { adminEmails: [admin], alerts: ['connection_alert', 'connection_alert_cleared'] },
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
  const endpoint = await api.post<{ secret: string }>('/api/v1/webhook-endpoints', {
    url: receiver.url,
    eventTypes: ['connection.alert_raised', 'connection.alert_cleared'],
  });
  expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
  receiver.secrets = [endpoint.body.secret];
}, 60_000);

afterAll(async () => {
  await testApp?.close();
  await receiver.close();
  await smtp.close();
});

async function connection(id: string): Promise<Connection> {
  const answer = await api.get<Connection>(`/api/v1/connections/${id}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

async function checkNow(id: string): Promise<Alert[]> {
  const answer = await api.post<Connection>(`/api/v1/connections/${id}/health-check`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.health.alerts;
}

/** Events of this type about the connection, as stored (the source of webhooks and emails). */
async function eventsOf(type: string, connectionId: string) {
  return testApp.app.ctx.db
    .select()
    .from(events)
    .where(and(eq(events.type, type), eq(events.subjectId, connectionId)));
}

function webhooksOf(type: string, connectionId: string) {
  return receiver.accepted.filter(
    (hook) =>
      hook.body.type === type && (hook.body.data as { connectionId?: string }).connectionId === connectionId,
  );
}

describe('a field deleted in the CRM', { timeout: 90_000 }, () => {
  it('Salesforce: a custom field a push mapping writes is reported in words, once, and cleared when it is back', async () => {
    const sf = await SandboxSalesforce.createOrg(testApp);
    const connectionId = await sf.connect(api);
    expect((await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' })).status).toBe(
      200,
    );
    await sf.admin('POST', '/fields', { object: 'Lead', name: 'Partner_Tier', type: 'string' });
    const programId = await newProgram(api, { name: 'Partners' });
    const pushed = await api.post<{ id: string; mappings: Array<{ crmField: string }> }>(
      '/api/v1/push-settings',
      {
        programId,
        connectionId,
        crmObject: 'Lead',
        mappings: [{ crmField: 'Partner_Tier__c', from: 'referral.company' }],
      },
    );
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
    const index = pushed.body.mappings.findIndex((mapping) => mapping.crmField === 'Partner_Tier__c');
    expect(await checkNow(connectionId)).toEqual([]);

    await sf.admin('DELETE', '/fields/Lead/Partner_Tier__c');
    const [alert, ...others] = await checkNow(connectionId);
    expect(others).toEqual([]);
    expect(alert).toMatchObject({
      code: 'crm_field_missing',
      key: 'crm_field_missing:lead.partner_tier__c',
      object: 'Lead',
      field: 'Partner_Tier__c',
      settings: [
        {
          kind: 'push_settings',
          id: pushed.body.id,
          path: `mappings.${index}.crmField`,
          programName: 'Partners',
        },
      ],
    });
    expect(alert?.message).toBe(
      `Salesforce has no field Partner_Tier__c on Lead any more, but the push settings of program "Partners" ` +
        `(mappings.${index}.crmField) use it. Until it is back, pushes of referrals fail. Create the field ` +
        'Partner_Tier__c on Lead in Salesforce again (same API name), or change those settings to a field that exists.',
    );
    // The list shows it too, and a second check finds it still there: no second event.
    const listed = await api.get<{ data: Connection[] }>('/api/v1/connections');
    expect(listed.body.data.find((item) => item.id === connectionId)?.health.alerts).toEqual([alert]);
    const again = await checkNow(connectionId);
    expect(again.map((item) => [item.key, item.since])).toEqual([[alert?.key, alert?.since]]);
    expect(await eventsOf('connection.alert_raised', connectionId)).toHaveLength(1);

    const raised = await eventually(
      async () => webhooksOf('connection.alert_raised', connectionId)[0],
      20_000,
    );
    expect(raised.body.data).toMatchObject({
      connectionId,
      code: 'crm_field_missing',
      key: 'crm_field_missing:lead.partner_tier__c',
      message: alert?.message,
      since: alert?.since,
    });
    const mail = await eventually(
      async () =>
        smtp.to(admin).find((m) => m.text?.includes('Partner_Tier__c') && !m.subject?.includes('resolved')),
      20_000,
    );
    expect(mail.subject).toBe('CRM connection Salesforce: a field refsync uses is gone from the CRM');
    expect(mail.text).toContain(alert?.message);
    expect(mail.text).toContain(`/connections/${connectionId}`);

    await sf.admin('POST', '/fields', { object: 'Lead', name: 'Partner_Tier', type: 'string' });
    expect(await checkNow(connectionId)).toEqual([]);
    expect((await connection(connectionId)).health.alerts).toEqual([]);
    expect(await eventsOf('connection.alert_cleared', connectionId)).toHaveLength(1);
    const cleared = await eventually(
      async () => webhooksOf('connection.alert_cleared', connectionId)[0],
      20_000,
    );
    expect(cleared.body.data).toMatchObject({ code: 'crm_field_missing', message: alert?.message });
    await eventually(
      async () =>
        smtp
          .to(admin)
          .find(
            (m) =>
              m.subject === 'CRM connection Salesforce: resolved, a field refsync uses is gone from the CRM',
          ),
      20_000,
    );
    expect(webhooksOf('connection.alert_raised', connectionId)).toHaveLength(1);
    expect(await eventsOf('connection.alert_raised', connectionId)).toHaveLength(1);
  });

  it('HubSpot: a property a status trigger reads is reported, and cleared when it is back', async () => {
    const hs = await SandboxHubspot.createPortal(testApp);
    const connectionId = await hs.connect(api);
    const property = {
      name: 'partner_stage',
      label: 'Partner stage',
      type: 'string',
      fieldType: 'text',
      groupName: 'dealinformation',
    };
    const hubspot = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${SandboxHubspot.baseUrl(testApp)}${path}`, {
        method,
        headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(response.status, await response.text()).toBeLessThan(300);
    };
    await hubspot('POST', '/crm/v3/properties/deals', property);
    const programId = await newProgram(api, { name: 'Resellers' });
    const settingsId = await newReceiverSettings(api, {
      programId,
      connectionId,
      statusTriggers: [
        { object: 'deals', field: 'dealstage', value: 'closedwon', milestone: 'won' },
        { object: 'deals', field: 'partner_stage', value: 'signed', milestone: 'won' },
      ],
    });
    expect(await checkNow(connectionId)).toEqual([]);

    await hubspot('DELETE', '/crm/v3/properties/deals/partner_stage');
    const alerts = await checkNow(connectionId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      code: 'crm_field_missing',
      object: 'deals',
      field: 'partner_stage',
      settings: [
        {
          kind: 'receiver_settings',
          id: settingsId,
          path: 'statusTriggers.1.field',
          programName: 'Resellers',
        },
      ],
    });
    expect(alerts[0]?.message).toBe(
      'HubSpot has no property partner_stage on deals any more, but the sales receiver settings of program ' +
        '"Resellers" (statusTriggers.1.field) use it. Until it is back, events that need it are not matched or ' +
        'applied. Create the property partner_stage on deals in HubSpot again (same internal name), or change ' +
        'those settings to a property that exists.',
    );
    await checkNow(connectionId);
    expect(await eventsOf('connection.alert_raised', connectionId)).toHaveLength(1);
    await eventually(async () => webhooksOf('connection.alert_raised', connectionId)[0], 20_000);

    await hubspot('POST', '/crm/v3/properties/deals', property);
    expect(await checkNow(connectionId)).toEqual([]);
    expect(await eventsOf('connection.alert_cleared', connectionId)).toHaveLength(1);
    await eventually(async () => webhooksOf('connection.alert_cleared', connectionId)[0], 20_000);
    expect(webhooksOf('connection.alert_raised', connectionId)).toHaveLength(1);
  });
});

describe('the CRM refusing refsync', { timeout: 90_000 }, () => {
  it('HubSpot 429s raise a rate limit alert, cleared once calls pass again for the quiet period', async () => {
    const hs = await SandboxHubspot.createPortal(testApp);
    const connectionId = await hs.connect(api);
    // The client retries a 429 once after 10 s; both attempts are refused.
    await hs.admin('PUT', '/faults', { force429Count: 2 });
    const refused = await api.get<{ error: { message: string } }>(
      `/api/v1/connections/${connectionId}/fields?object=contacts`,
    );
    expect(refused.status).toBe(502);
    const [alert, ...others] = (await connection(connectionId)).health.alerts;
    expect(others).toEqual([]);
    expect(alert).toMatchObject({ code: 'crm_rate_limited', key: 'crm_rate_limited' });
    expect(alert?.message).toMatch(
      /^HubSpot refuses some of refsync's calls because too many were made in a short time \(its rate limit\) \(TEN_SECONDLY_ROLLING: .*\)\. refsync slows down and retries/,
    );
    await eventually(async () => webhooksOf('connection.alert_raised', connectionId)[0], 20_000);

    // Calls pass again; after the quiet period (2 s here) the next call clears the alert.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const fields = await api.get(`/api/v1/connections/${connectionId}/fields?object=contacts`);
    expect(fields.status).toBe(200);
    expect((await connection(connectionId)).health.alerts).toEqual([]);
    expect(await eventsOf('connection.alert_raised', connectionId)).toHaveLength(1);
    expect(await eventsOf('connection.alert_cleared', connectionId)).toHaveLength(1);
  });

  it('refused tokens raise a needs-reconnecting alert, cleared by reconnecting', async () => {
    const sf = await SandboxSalesforce.createOrg(testApp);
    const connectionId = await sf.connect(api);
    await sf.revokeTokensOf(connectionId);
    const refused = await api.get(`/api/v1/connections/${connectionId}/fields?object=Lead`);
    expect(refused.status).toBe(409);

    const shown = await connection(connectionId);
    expect(shown.status).toBe('needs_reauth');
    expect(shown.health.alerts).toHaveLength(1);
    expect(shown.health.alerts[0]?.code).toBe('connection_needs_reauth');
    expect(shown.health.alerts[0]?.message).toMatch(
      /^Salesforce no longer accepts refsync's access: Refreshing the access token failed: .* Nothing is pushed to or read from Salesforce until someone reconnects: open this connection in the console and press "Reconnect Salesforce"\./,
    );
    // Still refused: still one alert, one event.
    expect((await api.get(`/api/v1/connections/${connectionId}/fields?object=Lead`)).status).toBe(409);
    expect(await eventsOf('connection.alert_raised', connectionId)).toHaveLength(1);
    await eventually(async () => webhooksOf('connection.alert_raised', connectionId)[0], 20_000);
    await eventually(
      async () =>
        smtp.to(admin).find((m) => m.subject === 'CRM connection Salesforce: it needs reconnecting'),
      20_000,
    );

    const again = await api.post<{ authorizeUrl: string }>(`/api/v1/connections/${connectionId}/authorize`);
    expect((await consent(again.body.authorizeUrl)).status).toBe(200);
    const reconnected = await connection(connectionId);
    expect(reconnected.status).toBe('connected');
    expect(reconnected.health.alerts).toEqual([]);
    expect(await eventsOf('connection.alert_cleared', connectionId)).toHaveLength(1);
  });
});

describe('events that stop arriving', { timeout: 90_000 }, () => {
  it('polls that keep finding changes with no event raise an alert; an event clears it at the next poll', async () => {
    const hs = await SandboxHubspot.createPortal(testApp);
    const connectionId = await hs.connect(api);
    const programId = await newProgram(api, { name: 'Polled' });
    await newReceiverSettings(api, {
      programId,
      connectionId,
      statusTriggers: [{ object: 'deals', field: 'dealstage', value: 'closedwon', milestone: 'won' }],
    });
    const hubspot = async <T>(method: string, path: string, body: unknown): Promise<T> => {
      const response = await fetch(`${SandboxHubspot.baseUrl(testApp)}${path}`, {
        method,
        headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, text).toBeLessThan(300);
      return JSON.parse(text) as T;
    };
    const deal = await hubspot<{ id: string }>('POST', '/crm/v3/objects/deals', {
      properties: { dealname: 'Quiet deal', dealstage: 'appointmentscheduled', pipeline: 'default' },
    });
    const poll = async () => {
      const done = await pollThroughApi(testApp, api, connectionId);
      expect(done.state).toBe('completed');
      return (done.output as { entries: number }).entries;
    };
    expect(await poll()).toBe(1);
    // One poll finding a change is not yet a pattern.
    expect((await connection(connectionId)).health.alerts).toEqual([]);

    await hubspot('PATCH', `/crm/v3/objects/deals/${deal.id}`, {
      properties: { dealstage: 'qualifiedtobuy' },
    });
    expect(await poll()).toBe(1);
    const [alert, ...others] = (await connection(connectionId)).health.alerts;
    expect(others).toEqual([]);
    expect(alert?.code).toBe('events_not_arriving');
    expect(alert?.message).toBe(
      'The last 2 catch-up polls found changes in HubSpot that no event had brought, and no event from HubSpot ' +
        'ever arrived. Changes reach refsync only at the next poll (every 3600 s) instead of at once. Check the ' +
        "HubSpot app's webhook subscriptions: their target URL must be the webhook URL shown on this connection, " +
        'and they must be active.',
    );
    await hubspot('PATCH', `/crm/v3/objects/deals/${deal.id}`, { properties: { dealstage: 'contractsent' } });
    expect(await poll()).toBe(1);
    expect(await eventsOf('connection.alert_raised', connectionId)).toHaveLength(1);
    await eventually(async () => webhooksOf('connection.alert_raised', connectionId)[0], 20_000);

    // An event arrives (here through the API, naming the connection): the next poll clears the alert.
    const sent = await api.post('/api/v1/sales-entries', {
      connectionId,
      objectType: 'deals',
      recordId: deal.id,
      fields: { dealstage: 'contractsent' },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    await poll();
    expect((await connection(connectionId)).health.alerts).toEqual([]);
    expect(await eventsOf('connection.alert_cleared', connectionId)).toHaveLength(1);
  });
});
