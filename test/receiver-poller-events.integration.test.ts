import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLL_QUEUE } from '../src/receiver/poller/scheduler.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';
import { newProgram, newReceiverSettings, newReferral, referralOf } from './helpers/receiver.ts';

/**
 * The catch-up poll next to working events: a change an outbound message or webhook brought
 * is not logged a second time by the poll, and connection health tells events and polls apart.
 */

let testApp: TestApp;
let api: ApiClient;

interface Entry {
  id: string;
  source: string;
  status: string;
  recordId: string | null;
  fields: Record<string, unknown>;
}

interface Health {
  lastEntryAt: string | null;
  lastPollAt: string | null;
  lastPollFound: number | null;
}

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [salesEntrySubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
    // Polls run when a test asks for one.
    env: { REFSYNC_POLL_INTERVAL_SECONDS: '3600' },
  });
  api = (await testApp.newWorkspace()).api;
});
afterAll(() => testApp?.close());

async function pollNow(connectionId: string): Promise<unknown> {
  const response = await api.post<{ jobId: string | null }>(`/api/v1/connections/${connectionId}/poll`);
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  const { jobId } = response.body;
  if (jobId === null) throw new Error('a poll was already waiting');
  const job = await eventually(async () => {
    const found = await testApp.app.ctx.queue.boss.getJobById(POLL_QUEUE, jobId);
    return found && (found.state === 'completed' || found.state === 'failed') ? found : undefined;
  });
  expect(job.state).toBe('completed');
  return job.output;
}

async function entriesOf(connectionId: string, recordId: string): Promise<Entry[]> {
  const response = await api.get<{ data: Entry[] }>(`/api/v1/sales-entries?connectionId=${connectionId}`);
  expect(response.status).toBe(200);
  return response.body.data.filter((entry) => entry.recordId === recordId);
}

async function healthOf(connectionId: string): Promise<Health> {
  const response = await api.get<Health>(`/api/v1/connections/${connectionId}`);
  expect(response.status).toBe(200);
  return response.body;
}

/** Every entry of the record has an outcome (none waits to be processed). */
async function settled(connectionId: string, recordId: string, count: number): Promise<Entry[]> {
  return eventually(async () => {
    const entries = await entriesOf(connectionId, recordId);
    return entries.length === count && entries.every((entry) => entry.status !== 'received')
      ? entries
      : undefined;
  }, 20_000);
}

describe('polling Salesforce next to outbound messages', () => {
  let sf: SandboxSalesforce;
  let crm: jsforce.Connection;
  let connectionId: string;
  let programId: string;

  beforeAll(async () => {
    sf = await SandboxSalesforce.createOrg(testApp);
    connectionId = await sf.connect(api);
    const fields = await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' });
    expect(fields.status, JSON.stringify(fields.body)).toBe(200);
    crm = await sf.jsforce();
    programId = await newProgram(api);
    await newReceiverSettings(api, {
      programId,
      connectionId,
      statusTriggers: [
        { object: 'Lead', field: 'Status', value: 'Working - Contacted', milestone: 'qualified' },
      ],
      targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
      processRules: {
        autoProcessDirect: true,
        autoProcessFuzzy: false,
        reviewWhenNoMemberMatch: false,
        reviewDeniedToPositive: true,
        notifyOnReview: false,
      },
    });
    const hooks = await api.get<{ salesforceOutboundUrl: string }>(
      `/api/v1/connections/${connectionId}/hooks`,
    );
    // As most orgs set it up: the status only, no modification stamp in the message.
    await sf.admin('POST', '/outbound-messages', {
      object: 'Lead',
      condition: { kind: 'field-equals', field: 'Status', value: 'Working - Contacted', everyTime: true },
      fields: ['Status'],
      endpointUrl: hooks.body.salesforceOutboundUrl,
    });
  });

  async function leadFor(referralId: string, email: string): Promise<string> {
    const lead = await crm.sobject('Lead').create({
      LastName: 'Evented',
      Company: 'Events Ltd',
      Email: email,
      Refsync_Referral_Id__c: referralId,
    });
    if (!lead.success) throw new Error('sandbox refused the lead');
    return lead.id;
  }

  let leadId: string;

  it('does not log a change an outbound message brought a second time', async () => {
    const referral = await newReferral(api, { programId, email: 'olive@events.example' });
    leadId = await leadFor(referral.id, 'olive@events.example');
    await crm.sobject('Lead').update({ Id: leadId, Status: 'Working - Contacted' });
    const [outbound] = await settled(connectionId, leadId, 1);
    expect(outbound).toMatchObject({ source: 'salesforce_outbound', status: 'success' });
    expect((await referralOf(api, referral.id)).milestone).toBe('qualified');
    const afterEvent = await healthOf(connectionId);
    expect(afterEvent.lastEntryAt).not.toBeNull();

    expect(await pollNow(connectionId)).toMatchObject({ status: 'polled', entries: 0 });
    expect(await entriesOf(connectionId, leadId)).toEqual([outbound]);

    const afterPoll = await healthOf(connectionId);
    expect(afterPoll.lastEntryAt).toBe(afterEvent.lastEntryAt);
    expect(afterPoll.lastPollAt).not.toBeNull();
    expect(afterPoll.lastPollFound).toBe(0);
  });

  it('does not bring back a change rejected in review', async () => {
    const referral = await newReferral(api, { programId, email: 'rex@events.example' });
    const moved = await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'lost' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const lead = await leadFor(referral.id, 'rex@events.example');
    await crm.sobject('Lead').update({ Id: lead, Status: 'Working - Contacted' });
    const [review] = await settled(connectionId, lead, 1);
    expect(review).toMatchObject({ source: 'salesforce_outbound', status: 'review' });
    const rejected = await api.post(`/api/v1/sales-entries/${review?.id}/review`, { decision: 'reject' });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);

    await pollNow(connectionId);
    const entries = await entriesOf(connectionId, lead);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ id: review?.id, status: 'ignored' });
    expect((await referralOf(api, referral.id)).milestone).toBe('lost');
  });

  it('logs one entry for a change no outbound message brought', async () => {
    // The rule does not fire for this status: only the poll can see the change.
    await crm.sobject('Lead').update({ Id: leadId, Status: 'Closed - Not Converted' });
    expect(await pollNow(connectionId)).toMatchObject({ status: 'polled', entries: 1 });
    const polled = (await entriesOf(connectionId, leadId)).filter((entry) => entry.source === 'poll');
    expect(polled).toHaveLength(1);
    expect(polled[0]?.fields).toMatchObject({ Status: 'Closed - Not Converted' });
    expect((await healthOf(connectionId)).lastPollFound).toBe(1);

    expect(await pollNow(connectionId)).toMatchObject({ status: 'polled', entries: 0 });
    expect(await entriesOf(connectionId, leadId)).toHaveLength(2);
  });
});

describe('polling HubSpot next to webhooks', () => {
  it('does not log a deal stage change a webhook brought a second time', async () => {
    const hs = await SandboxHubspot.createPortal(testApp);
    const connectionId = await hs.connect(api);
    const programId = await newProgram(api);
    await newReceiverSettings(api, {
      programId,
      connectionId,
      statusTriggers: [{ object: 'deals', field: 'dealstage', value: 'closedwon', milestone: 'won' }],
    });
    const hooks = await api.get<{ hubspotWebhookUrl: string }>(`/api/v1/connections/${connectionId}/hooks`);
    await hs.admin('PUT', '/webhooks', {
      targetUrl: hooks.body.hubspotWebhookUrl,
      signatureVersions: ['v3'],
    });
    await hs.admin('POST', '/webhooks/subscriptions', {
      subscriptionType: 'deal.propertyChange',
      propertyName: 'dealstage',
    });
    const crmCall = async <T>(method: string, path: string, body: unknown): Promise<T> => {
      const response = await fetch(`${SandboxHubspot.baseUrl(testApp)}${path}`, {
        method,
        headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBeLessThan(300);
      return (await response.json()) as T;
    };
    const deal = await crmCall<{ id: string }>('POST', '/crm/v3/objects/deals', {
      properties: { dealname: 'Evented deal', dealstage: 'appointmentscheduled', pipeline: 'default' },
    });
    await crmCall('PATCH', `/crm/v3/objects/deals/${deal.id}`, { properties: { dealstage: 'closedwon' } });
    // Creating the deal with a stage is a change of it too: one webhook each.
    const webhooks = await eventually(async () => {
      const entries = await entriesOf(connectionId, deal.id);
      return entries.some((entry) => entry.fields.dealstage === 'closedwon') &&
        entries.every((entry) => entry.status !== 'received')
        ? entries
        : undefined;
    }, 20_000);
    expect(webhooks.every((entry) => entry.source === 'hubspot_webhook')).toBe(true);

    expect(await pollNow(connectionId)).toMatchObject({ status: 'polled', entries: 0 });
    expect(await entriesOf(connectionId, deal.id)).toEqual(webhooks);
    const health = await healthOf(connectionId);
    expect(health.lastEntryAt).not.toBeNull();
    expect(health.lastPollFound).toBe(0);
  });
});
