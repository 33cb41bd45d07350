import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushSubscriber } from '../src/push/subscriber.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxHubspot } from './helpers/crm.ts';
import {
  feed,
  newProgram,
  newReceiverSettings,
  newReferral,
  outcomeOf,
  referralOf,
} from './helpers/receiver.ts';

/** HubSpot webhook events against the sandbox portal: related records come through associations v4. */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let hs: SandboxHubspot;
let connectionId: string;
let programId: string;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [salesEntrySubscriber, pushSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
  });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
  hs = await SandboxHubspot.createPortal(testApp);
  connectionId = await hs.connect(api);
  programId = await newProgram(api);
  await newReceiverSettings(api, {
    programId,
    connectionId,
    statusTriggers: [
      { object: 'deal', field: 'dealstage', value: 'closedwon', milestone: 'won' },
      { object: 'contacts', field: 'hs_lead_status', value: 'IN_PROGRESS', milestone: 'qualified' },
    ],
    fieldUpdates: [{ object: 'companies', field: 'name', target: 'referral.company' }],
  });
});
afterAll(() => testApp.close());

async function hubspot<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${SandboxHubspot.baseUrl(testApp)}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${hs.portal.accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const create = (type: string, properties: Record<string, string>) =>
  hubspot<{ id: string }>('POST', `/crm/v3/objects/${type}`, { properties });
const associate = (fromType: string, fromId: string, toType: string, toId: string) =>
  hubspot('PUT', `/crm/v4/objects/${fromType}/${fromId}/associations/default/${toType}/${toId}`);

const webhook = (subscriptionType: string, objectId: string, propertyName: string, propertyValue: string) =>
  feed(testApp, workspaceId, {
    source: 'hubspot_webhook',
    connectionId,
    objectType: subscriptionType.split('.')[0] === 'deal' ? 'deals' : 'contacts',
    recordId: objectId,
    fields: { [propertyName]: propertyValue },
    occurredAt: new Date(),
  });

describe('HubSpot events', () => {
  it('approves the referral of the contact associated with a deal that reaches closedwon', async () => {
    const email = `hana.${Math.random().toString(36).slice(2, 8)}@hubspot.example`;
    const referral = await newReferral(api, { programId, email: email.toUpperCase(), firstName: 'Hana' });
    const contact = await create('contacts', { email, firstname: 'Hana', lastname: 'Ito' });
    const company = await create('companies', { name: 'Ito Trading' });
    const deal = await create('deals', { dealname: 'Ito deal', pipeline: 'default', dealstage: 'closedwon' });
    await associate('deals', deal.id, 'contacts', contact.id);
    await associate('deals', deal.id, 'companies', company.id);

    const entry = await outcomeOf(
      api,
      await webhook('deal.propertyChange', deal.id, 'dealstage', 'closedwon'),
    );
    expect(entry, JSON.stringify(entry)).toMatchObject({
      status: 'success',
      matchMethod: 'fuzzy_email',
      matchScore: 1,
      referralId: referral.id,
      trigger: { object: 'deals', field: 'dealstage', value: 'closedwon', milestone: 'won' },
    });
    expect(entry.related?.contacts).toMatchObject({ Id: contact.id, email });
    expect(entry.related?.companies).toMatchObject({ Id: company.id, name: 'Ito Trading' });
    const after = await referralOf(api, referral.id);
    expect(after).toMatchObject({ milestone: 'won', company: 'Ito Trading' });
    expect(after.history.at(-1)).toMatchObject({
      from: 'submitted',
      to: 'won',
      actor: `crm:${connectionId}`,
    });
  });

  it('reads the contact itself when its event carries one property, and fails when nothing matches', async () => {
    const email = `kai.${Math.random().toString(36).slice(2, 8)}@hubspot.example`;
    const referral = await newReferral(api, { programId, email });
    const contact = await create('contacts', { email, firstname: 'Kai', hs_lead_status: 'IN_PROGRESS' });
    const entry = await outcomeOf(
      api,
      await webhook('contact.propertyChange', contact.id, 'hs_lead_status', 'IN_PROGRESS'),
    );
    expect(entry).toMatchObject({ status: 'success', matchMethod: 'fuzzy_email', referralId: referral.id });
    expect((await referralOf(api, referral.id)).milestone).toBe('qualified');

    const stranger = await create('contacts', {
      email: 'nobody@hubspot.example',
      hs_lead_status: 'IN_PROGRESS',
    });
    const unmatched = await outcomeOf(
      api,
      await webhook('contact.propertyChange', stranger.id, 'hs_lead_status', 'IN_PROGRESS'),
    );
    expect(unmatched.status).toBe('failed');
    expect(unmatched.reason).toContain('no referral matches');
  });
  it('end to end: a deal moved to closedwon in the sandbox portal sends a webhook that approves the referral', async () => {
    const hooks = await api.get<{ hubspotWebhookUrl: string }>(`/api/v1/connections/${connectionId}/hooks`);
    await hs.admin('PUT', '/webhooks', { targetUrl: hooks.body.hubspotWebhookUrl, gatherMs: 20 });
    await hs.admin('POST', '/webhooks/subscriptions', {
      subscriptionType: 'deal.propertyChange',
      propertyName: 'dealstage',
    });
    const email = `eve.${Math.random().toString(36).slice(2, 8)}@hubspot.example`;
    const referral = await newReferral(api, { programId, email });
    const contact = await create('contacts', { email, firstname: 'Eve' });
    const deal = await create('deals', {
      dealname: 'Eve deal',
      pipeline: 'default',
      dealstage: 'appointmentscheduled',
    });
    await associate('deals', deal.id, 'contacts', contact.id);
    await hubspot('PATCH', `/crm/v3/objects/deals/${deal.id}`, { properties: { dealstage: 'closedwon' } });
    const after = await eventually(async () => {
      const current = await referralOf(api, referral.id);
      return current.milestone === 'won' ? current : undefined;
    }, 20_000);
    expect(after.history.at(-1)).toMatchObject({ to: 'won', actor: `crm:${connectionId}` });
    const entries = await api.get<{ data: Array<{ source: string; status: string; matchMethod: string }> }>(
      `/api/v1/sales-entries?referralId=${referral.id}&source=hubspot_webhook`,
    );
    expect(entries.body.data).toEqual([
      expect.objectContaining({ status: 'success', matchMethod: 'fuzzy_email' }),
    ]);
  });
});

describe('HubSpot receiver settings', () => {
  it('refuses a deal stage given by its label, and a lead status the property does not list', async () => {
    const otherProgram = await newProgram(api);
    const response = await api.post<{
      error: { code: string; details: Array<{ field: string; message: string }> };
    }>('/api/v1/receiver-settings', {
      programId: otherProgram,
      connectionId,
      statusTriggers: [
        { object: 'deal', field: 'dealstage', value: 'Closed Won', milestone: 'won' },
        { object: 'contacts', field: 'hs_lead_status', value: 'QUALIFIED', milestone: 'qualified' },
        { object: 'deals', field: 'dealstage', value: 'closedwon', milestone: 'won' },
      ],
    });
    expect(response.status, JSON.stringify(response.body)).toBe(422);
    expect(response.body.error.code).toBe('unprocessable');
    expect(response.body.error.details).toHaveLength(2);
    const [stage, status] = response.body.error.details;
    expect(stage?.field).toBe('statusTriggers.0.value');
    expect(stage?.message).toContain('"Closed Won" is not a value of deals.dealstage');
    expect(stage?.message).toContain('did you mean `closedwon`?');
    expect(stage?.message).toContain('appointmentscheduled');
    expect(status?.field).toBe('statusTriggers.1.value');
    expect(status?.message).toContain('IN_PROGRESS');
    expect(status?.message).not.toContain('did you mean');
    const listed = await api.get<{ data: Array<{ programId: string }> }>('/api/v1/receiver-settings');
    expect(listed.body.data.some((settings) => settings.programId === otherProgram)).toBe(false);
  });
});
