import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushSubscriber } from '../src/push/subscriber.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxSalesforce } from './helpers/crm.ts';
import {
  feed,
  newProgram,
  newReceiverSettings,
  newReferral,
  outcomeOf,
  referralOf,
} from './helpers/receiver.ts';

/** Salesforce events against the sandbox org: related records are read through SOQL. */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let sf: SandboxSalesforce;
let connectionId: string;
let crm: jsforce.Connection;
let programId: string;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [salesEntrySubscriber, pushSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
  });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
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
      { object: 'Opportunity', field: 'StageName', value: 'Closed Won', milestone: 'won' },
    ],
    targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
    fieldUpdates: [{ object: 'Account', field: 'Name', target: 'referral.company' }],
  });
});
afterAll(() => testApp.close());

async function createLead(fields: Record<string, unknown>): Promise<string> {
  const result = await crm
    .sobject('Lead')
    .create({ LastName: 'Lopez', Company: 'Lopez Logistics', ...fields });
  if (!('success' in result) || !result.success || !result.id) throw new Error(JSON.stringify(result));
  return result.id;
}

const outbound = (objectType: string, recordId: string, fields: Record<string, unknown>) =>
  feed(testApp, workspaceId, {
    source: 'salesforce_outbound',
    connectionId,
    objectType,
    recordId,
    fields: { Id: recordId, ...fields },
    occurredAt: new Date(),
  });

describe('Salesforce events', () => {
  let referralId: string;
  let leadId: string;

  it('qualifies the referral named by the Lead referral ID field when its status changes', async () => {
    const referral = await newReferral(api, {
      programId,
      email: 'lucia.lopez@lopez.example',
      lastName: 'Lopez',
    });
    referralId = referral.id;
    leadId = await createLead({
      Email: 'lucia.lopez@lopez.example',
      Status: 'Working - Contacted',
      Refsync_Referral_Id__c: referral.id,
    });
    // The outbound message carries the status only: the referral ID field is read from the Lead.
    const entry = await outcomeOf(api, await outbound('Lead', leadId, { Status: 'Working - Contacted' }));
    expect(entry, JSON.stringify(entry)).toMatchObject({
      status: 'success',
      matchMethod: 'referral_id',
      referralId,
      trigger: { object: 'Lead', field: 'Status', milestone: 'qualified' },
    });
    const after = await referralOf(api, referralId);
    expect(after.milestone).toBe('qualified');
    expect(after.history.at(-1)).toMatchObject({ to: 'qualified', actor: `crm:${connectionId}` });
  });

  it('approves it when the Opportunity of the converted Lead is Closed Won', async () => {
    const converted = await sf.admin<{ opportunityId: string; contactId: string; accountId: string }>(
      'POST',
      `/leads/${leadId}/convert`,
      { opportunityName: 'Lopez deal' },
    );
    await crm.sobject('Opportunity').update({ Id: converted.opportunityId, StageName: 'Closed Won' });
    const entry = await outcomeOf(
      api,
      await outbound('Opportunity', converted.opportunityId, { StageName: 'Closed Won' }),
    );
    expect(entry, JSON.stringify(entry)).toMatchObject({
      status: 'success',
      matchMethod: 'referral_id',
      referralId,
    });
    expect(entry.related?.Lead).toMatchObject({ Id: leadId, Refsync_Referral_Id__c: referralId });
    expect(entry.related?.Contact).toMatchObject({ Id: converted.contactId });
    expect(entry.related?.Account).toMatchObject({ Id: converted.accountId, Name: 'Lopez Logistics' });
    expect(entry.changes).toMatchObject({
      milestone: { from: 'qualified', to: 'won' },
      fields: { company: { from: null, to: 'Lopez Logistics' } },
    });
    expect((await referralOf(api, referralId)).milestone).toBe('won');
  });

  it('leaves a 1-to-many relation empty when there is more than one related record', async () => {
    const account = await crm.sobject('Account').create({ Name: 'Two Contacts Ltd' });
    if (!('id' in account) || !account.id) throw new Error('account');
    for (const name of ['One', 'Two'])
      await crm.sobject('Contact').create({ LastName: name, AccountId: account.id });
    const entry = await outcomeOf(api, await outbound('Account', account.id, { Name: 'Two Contacts Ltd' }));
    expect(entry.status).toBe('ignored');
    expect(entry.related?.Contact).toBeNull();
  });

  it('matches a Lead refsync pushed itself through its push record', async () => {
    const pushProgram = await newProgram(api);
    const settings = await api.post<{ id: string }>('/api/v1/push-settings', {
      programId: pushProgram,
      connectionId,
      crmObject: 'Lead',
    });
    expect(settings.status, JSON.stringify(settings.body)).toBe(201);
    await newReceiverSettings(api, {
      programId: pushProgram,
      connectionId,
      statusTriggers: [
        { object: 'Lead', field: 'Status', value: 'Closed - Not Converted', milestone: 'lost' },
      ],
      fuzzyMatch: false,
    });
    const referral = await newReferral(api, {
      programId: pushProgram,
      firstName: 'Pia',
      lastName: 'Push',
      email: `pia.${Math.random().toString(36).slice(2, 8)}@push.example`,
      company: 'Push Co',
    });
    const pushed = await (async () => {
      for (let i = 0; i < 100; i++) {
        const log = await api.get<{ data: Array<{ action: string; crmId: string | null }> }>(
          `/api/v1/push-log?subjectId=${referral.id}`,
        );
        const created = log.body.data.find((row) => row.action === 'created');
        if (created?.crmId) return created.crmId;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('referral not pushed');
    })();
    const entry = await outcomeOf(api, await outbound('Lead', pushed, { Status: 'Closed - Not Converted' }));
    expect(entry).toMatchObject({ status: 'success', matchMethod: 'pushed_record', referralId: referral.id });
    expect((await referralOf(api, referral.id)).milestone).toBe('lost');
  });
  it('moves a referral straight to the milestone a transition URL names, with feedback', async () => {
    const referral = await newReferral(api, { programId, email: 'tara@transition.example' });
    const lead = await createLead({ Email: 'tara@transition.example', Refsync_Referral_Id__c: referral.id });
    const entryId = await feed(testApp, workspaceId, {
      source: 'salesforce_transition',
      connectionId,
      objectType: 'Lead',
      recordId: lead,
      fields: { Id: lead, Refsync_Referral_Id__c: referral.id },
      requestedMilestone: 'won',
      feedback: 'Signed, thank you!',
    });
    const entry = await outcomeOf(api, entryId);
    expect(entry).toMatchObject({
      status: 'success',
      referralId: referral.id,
      changes: { milestone: { to: 'won' } },
    });
    const after = await referralOf(api, referral.id);
    expect(after.history.at(-1)).toMatchObject({ to: 'won', feedback: 'Signed, thank you!' });
  });

  it('also matches contacts linked to the account when contact matching includes them', async () => {
    const accountProgram = await newProgram(api);
    await newReceiverSettings(api, {
      programId: accountProgram,
      connectionId,
      statusTriggers: [
        { object: 'Opportunity', field: 'StageName', value: 'Negotiation/Review', milestone: 'qualified' },
      ],
      contactMatching: 'include_account_contacts',
    });
    const email = `ana.${Math.random().toString(36).slice(2, 8)}@account.example`;
    const referral = await newReferral(api, { programId: accountProgram, email });
    const account = await crm.sobject('Account').create({ Name: 'Account Contacts AG' });
    if (!('id' in account) || !account.id) throw new Error('account');
    await crm
      .sobject('Contact')
      .create({ LastName: 'Other', Email: 'other@account.example', AccountId: account.id });
    await crm.sobject('Contact').create({ LastName: 'Ana', Email: email, AccountId: account.id });
    const opportunity = await crm.sobject('Opportunity').create({
      Name: 'Account deal',
      AccountId: account.id,
      StageName: 'Negotiation/Review',
      CloseDate: '2030-01-01',
    });
    if (!('id' in opportunity) || !opportunity.id) throw new Error('opportunity');
    const entry = await outcomeOf(
      api,
      await outbound('Opportunity', opportunity.id, { StageName: 'Negotiation/Review' }),
    );
    expect(entry, JSON.stringify(entry)).toMatchObject({
      status: 'success',
      matchMethod: 'fuzzy_email',
      referralId: referral.id,
    });
    expect(entry.related?.Contact).toBeNull();
    expect((await referralOf(api, referral.id)).milestone).toBe('qualified');
  });
  it('retries an entry while Salesforce is down, then processes it', async () => {
    const referral = await newReferral(api, { programId, email: 'olga@outage.example' });
    const lead = await createLead({ Email: 'olga@outage.example', Refsync_Referral_Id__c: referral.id });
    await sf.admin('POST', '/faults/outage', { seconds: 2 });
    const entryId = await outbound('Lead', lead, { Status: 'Working - Contacted' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const waiting = await api.get<{ status: string }>(`/api/v1/sales-entries/${entryId}`);
    expect(waiting.body.status).toBe('received');
    const entry = await outcomeOf(api, entryId, 20_000);
    expect(entry).toMatchObject({ status: 'success', referralId: referral.id });
    expect((await referralOf(api, referral.id)).milestone).toBe('qualified');
  });

  it('end to end: a Lead status change in the sandbox org sends an outbound message that qualifies the referral', async () => {
    const hooks = await api.get<{ salesforceOutboundUrl: string }>(
      `/api/v1/connections/${connectionId}/hooks`,
    );
    expect(hooks.status).toBe(200);
    await sf.admin('POST', '/outbound-messages', {
      name: 'Lead status to refsync',
      object: 'Lead',
      condition: { kind: 'field-equals', field: 'Status', value: 'Working - Contacted', everyTime: true },
      fields: ['Status'],
      endpointUrl: hooks.body.salesforceOutboundUrl,
    });
    const referral = await newReferral(api, { programId, email: 'emil@e2e.example' });
    const lead = await createLead({ Email: 'emil@e2e.example', Refsync_Referral_Id__c: referral.id });
    await crm.sobject('Lead').update({ Id: lead, Status: 'Working - Contacted' });
    const after = await eventually(async () => {
      const current = await referralOf(api, referral.id);
      return current.milestone === 'qualified' ? current : undefined;
    }, 20_000);
    expect(after.history.at(-1)).toMatchObject({ to: 'qualified', actor: `crm:${connectionId}` });
    const entries = await api.get<{ data: Array<{ source: string; status: string; matchMethod: string }> }>(
      `/api/v1/sales-entries?referralId=${referral.id}`,
    );
    expect(entries.body.data).toEqual([
      expect.objectContaining({
        source: 'salesforce_outbound',
        status: 'success',
        matchMethod: 'referral_id',
      }),
    ]);
  });

  it('end to end: Closed Won on the Opportunity of a converted Lead approves the referral', async () => {
    const hooks = await api.get<{ salesforceOutboundUrl: string }>(
      `/api/v1/connections/${connectionId}/hooks`,
    );
    await sf.admin('POST', '/outbound-messages', {
      name: 'Won opportunities to refsync',
      object: 'Opportunity',
      condition: { kind: 'field-equals', field: 'StageName', value: 'Closed Won', everyTime: true },
      fields: ['StageName'],
      endpointUrl: hooks.body.salesforceOutboundUrl,
    });
    const referral = await newReferral(api, { programId, email: 'olga@e2e.example' });
    const lead = await createLead({ Email: 'olga@e2e.example', Refsync_Referral_Id__c: referral.id });
    const converted = await sf.admin<{ opportunityId: string }>('POST', `/leads/${lead}/convert`, {
      opportunityName: 'Olga deal',
    });
    await crm.sobject('Opportunity').update({ Id: converted.opportunityId, StageName: 'Closed Won' });
    const after = await eventually(async () => {
      const current = await referralOf(api, referral.id);
      return current.milestone === 'won' ? current : undefined;
    }, 20_000);
    expect(after.history.at(-1)).toMatchObject({ to: 'won', actor: `crm:${connectionId}` });
    const entries = await api.get<{ data: Array<{ objectType: string; status: string }> }>(
      `/api/v1/sales-entries?referralId=${referral.id}`,
    );
    expect(entries.body.data).toEqual([
      expect.objectContaining({ objectType: 'Opportunity', status: 'success' }),
    ]);
  });

  it('refuses settings naming objects or fields the org does not have', async () => {
    const otherProgram = await newProgram(api);
    const response = await api.post<{ error: { details: Array<{ field: string; message: string }> } }>(
      '/api/v1/receiver-settings',
      {
        programId: otherProgram,
        connectionId,
        statusTriggers: [
          { object: 'Lead', field: 'Statuz', value: 'Qualified', milestone: 'qualified' },
          { object: 'Invoice', field: 'Paid', value: 'true', milestone: 'won' },
        ],
        targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
      },
    );
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      { field: 'statusTriggers.0.field', message: 'Lead has no field Statuz' },
      { field: 'statusTriggers.1.object', message: 'the CRM has no object Invoice' },
    ]);
    const listed = await api.get<{ data: Array<{ programId: string }> }>('/api/v1/receiver-settings');
    expect(listed.body.data.some((settings) => settings.programId === otherProgram)).toBe(false);
  });

  it('refuses a status trigger value the picklist does not have, listing the values', async () => {
    const otherProgram = await newProgram(api);
    const response = await api.post<{
      error: { code: string; details: Array<{ field: string; message: string }> };
    }>('/api/v1/receiver-settings', {
      programId: otherProgram,
      connectionId,
      statusTriggers: [
        { object: 'Lead', field: 'Status', value: 'Qualified Lead', milestone: 'qualified' },
        { object: 'Opportunity', field: 'StageName', value: 'closed won', milestone: 'won' },
      ],
    });
    expect(response.status, JSON.stringify(response.body)).toBe(422);
    expect(response.body.error.code).toBe('unprocessable');
    const [status, stage] = response.body.error.details;
    expect(status?.field).toBe('statusTriggers.0.value');
    expect(status?.message).toContain('"Qualified Lead" is not a value of Lead.Status');
    expect(status?.message).toContain('Working - Contacted');
    expect(status?.message).not.toContain('did you mean');
    expect(stage?.field).toBe('statusTriggers.1.value');
    expect(stage?.message).toContain('did you mean `Closed Won`?');
    const listed = await api.get<{ data: Array<{ programId: string }> }>('/api/v1/receiver-settings');
    expect(listed.body.data.some((settings) => settings.programId === otherProgram)).toBe(false);
  });
});
