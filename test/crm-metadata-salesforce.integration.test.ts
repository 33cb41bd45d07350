import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, TestApp } from './helpers/app.ts';
import { SandboxSalesforce } from './helpers/crm.ts';
import { connectionMetadata, startSandboxApp } from './helpers/crm-metadata.ts';
import {
  milestoneReached,
  newProgram,
  newReceiverSettings,
  newReferral,
  referralOf,
} from './helpers/receiver.ts';

/**
 * What the console's pickers read from a Salesforce org (objects, picklist values, campaigns,
 * records) and the sandbox wiring, against the sandbox org through the real connector.
 */

interface Rule {
  object: string;
  fields: string[];
  endpointUrl: string;
  active: boolean;
}

let testApp: TestApp;
let api: ApiClient;
let sf: SandboxSalesforce;
let connectionId: string;
let crm: jsforce.Connection;
let settingsId: string;
let metadata: ReturnType<typeof connectionMetadata>;

beforeAll(async () => {
  testApp = await startSandboxApp();
  api = (await testApp.newWorkspace()).api;
  sf = await SandboxSalesforce.createOrg(testApp);
  connectionId = await sf.connect(api);
  const fields = await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' });
  expect(fields.status, JSON.stringify(fields.body)).toBe(200);
  crm = await sf.jsforce();
  metadata = connectionMetadata(api, connectionId);
});
afterAll(() => testApp.close());

async function create(object: string, fields: Record<string, unknown>): Promise<string> {
  const result = await crm.sobject(object).create(fields);
  if (!('success' in result) || !result.success || !result.id) throw new Error(JSON.stringify(result));
  return result.id;
}

describe('Salesforce objects and fields', () => {
  it('lists the objects refsync pushes to and receives from', async () => {
    expect(await metadata.objects()).toEqual([
      { name: 'Lead', label: 'Lead', pushable: true, triggerable: true },
      { name: 'Contact', label: 'Contact', pushable: true, triggerable: true },
      { name: 'Account', label: 'Account', pushable: false, triggerable: true },
      { name: 'Opportunity', label: 'Opportunity', pushable: false, triggerable: true },
    ]);
  });

  it("gives a Lead's Status its picklist values, and free fields none", async () => {
    const lead = await metadata.fields('Lead');
    const status = lead.find((field) => field.name === 'Status');
    expect(status?.options).toEqual(
      expect.arrayContaining([
        { value: 'Open - Not Contacted', label: 'Open - Not Contacted' },
        { value: 'Working - Contacted', label: 'Working - Contacted' },
        { value: 'Closed - Converted', label: 'Closed - Converted' },
      ]),
    );
    expect(lead.find((field) => field.name === 'Email')?.options).toBeUndefined();
    const stage = (await metadata.fields('Opportunity')).find((field) => field.name === 'StageName');
    expect(stage?.options?.map((option) => option.value)).toContain('Closed Won');
  });
});

describe('Salesforce campaigns', () => {
  it('finds campaigns by part of their name, a quote or a wildcard matching only itself', async () => {
    const spring = await create('Campaign', { Name: 'Spring Referral Drive', Status: 'In Progress' });
    const obrien = await create('Campaign', { Name: "O'Brien's 100% club" });
    await create('Campaign', { Name: 'Winter 1000 club' });
    const search = metadata.campaigns;
    expect(await search('spring')).toEqual([
      { id: spring, name: 'Spring Referral Drive', status: 'In Progress' },
    ]);
    expect((await search("O'Brien")).map((campaign) => campaign.id)).toEqual([obrien]);
    expect((await search('100%')).map((campaign) => campaign.id)).toEqual([obrien]);
    expect(await search("' OR Name != '")).toEqual([]);
    expect((await search()).map((campaign) => campaign.name)).toEqual([
      "O'Brien's 100% club",
      'Spring Referral Drive',
      'Winter 1000 club',
    ]);
  });
});

describe('Salesforce record search', () => {
  it('finds a Lead by an email holding a quote, by part of it and by ID, with a link', async () => {
    const email = "d'arcy.o'hara@quote.example";
    const lead = await create('Lead', { FirstName: 'Darcy', LastName: "O'Hara", Company: 'Q', Email: email });
    await create('Lead', { LastName: 'Other', Company: 'Q', Email: 'other@quote.example' });
    const search = metadata.records;
    const [found, ...rest] = await search({ object: 'Lead', q: email });
    expect(rest).toEqual([]);
    expect(found).toMatchObject({ object: 'Lead', id: lead, label: "Darcy O'Hara", email });
    expect(found?.url).toContain(lead);
    expect((await search({ object: 'lead', q: "o'hara@" })).map((record) => record.id)).toEqual([lead]);
    expect((await search({ object: 'Lead', q: lead })).map((record) => record.id)).toEqual([lead]);
    expect((await search({ object: 'Lead', q: lead.slice(0, 15) })).map((record) => record.id)).toEqual([
      lead,
    ]);
    expect(await search({ object: 'Lead', q: "' OR Email != '" })).toEqual([]);
    expect(await search({ object: 'Lead', q: '%' })).toEqual([]);
    expect(await search({ object: 'Lead' })).toEqual([]);

    const contact = await create('Contact', { LastName: "O'Hara", Email: "sean.o'hara@quote.example" });
    const people = await search({ q: "o'hara" });
    expect(people.map((record) => [record.object, record.id])).toEqual(
      expect.arrayContaining([
        ['Lead', lead],
        ['Contact', contact],
      ]),
    );
  });

  it('refuses an object name that is not one', async () => {
    const answer = await api.get<{ error: { details: Array<{ field: string }> } }>(
      `/api/v1/connections/${connectionId}/records?object=${encodeURIComponent('Lead WHERE')}&q=x`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((detail) => detail.field)).toContain('object');
  });
});

describe('Salesforce sandbox wiring', () => {
  it('creates an outbound message for the trigger objects once, and a Lead status change then moves the referral', async () => {
    const programId = await newProgram(api);
    settingsId = await newReceiverSettings(api, {
      programId,
      connectionId,
      statusTriggers: [
        { object: 'Lead', field: 'Status', value: 'Working - Contacted', milestone: 'qualified' },
      ],
      targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
    });
    const first = await metadata.wire();
    expect(first.wired).toEqual([expect.objectContaining({ object: 'Lead', kind: 'outbound_message' })]);
    expect(first.wired[0]?.detail).toContain('Status, Refsync_Referral_Id__c');
    const hooks = await api.get<{ salesforceOutboundUrl: string }>(
      `/api/v1/connections/${connectionId}/hooks`,
    );
    const rules = await sf.admin<Rule[]>('GET', '/outbound-messages');
    expect(rules).toEqual([
      expect.objectContaining({
        object: 'Lead',
        fields: ['Status', 'Refsync_Referral_Id__c'],
        endpointUrl: hooks.body.salesforceOutboundUrl,
        active: true,
      }),
    ]);

    const again = await metadata.wire();
    expect(again.wired).toEqual([]);
    expect(again.unchanged).toHaveLength(1);
    expect(again.message).toContain('Nothing new');
    expect(await sf.admin<Rule[]>('GET', '/outbound-messages')).toHaveLength(1);

    const referral = await newReferral(api, { programId, email: 'wired@sandbox.example' });
    const lead = await create('Lead', {
      LastName: 'Wired',
      Company: 'Wired Inc',
      Email: 'wired@sandbox.example',
      Refsync_Referral_Id__c: referral.id,
    });
    // The record picker feeds the dry run: the Lead found by its email, with the status to try.
    const [picked] = await metadata.records({ object: 'Lead', q: 'wired@sandbox.example' });
    expect(picked?.id).toBe(lead);
    const dryRun = await api.post(`/api/v1/receiver-settings/${settingsId}/dry-run`, {
      objectType: picked?.object,
      recordId: picked?.id,
      fields: { Status: 'Working - Contacted' },
    });
    expect(dryRun.status, JSON.stringify(dryRun.body)).toBe(200);
    expect(dryRun.body).toMatchObject({
      trigger: { object: 'Lead', field: 'Status', milestone: 'qualified' },
      match: { referralId: referral.id, method: 'referral_id' },
      outcome: 'success',
    });
    expect((await referralOf(api, referral.id)).milestone).not.toBe('qualified');

    await crm.sobject('Lead').update({ Id: lead, Status: 'Working - Contacted' });
    const after = await milestoneReached(api, referral.id, 'qualified');
    expect(after.history.at(-1)).toMatchObject({ to: 'qualified', actor: `crm:${connectionId}` });
    const entries = await api.get<{ data: Array<{ source: string; status: string; matchMethod: string }> }>(
      `/api/v1/sales-entries?referralId=${referral.id}`,
    );
    expect(entries.body.data).toContainEqual(
      expect.objectContaining({
        source: 'salesforce_outbound',
        status: 'success',
        matchMethod: 'referral_id',
      }),
    );
  });

  it('wires one object on request, adds fields to a rule it made before, and follows a rotated secret', async () => {
    const opportunity = await metadata.wire({ object: 'opportunity' });
    expect(opportunity.wired).toEqual([
      expect.objectContaining({ object: 'Opportunity', kind: 'outbound_message' }),
    ]);
    const rules = await sf.admin<Rule[]>('GET', '/outbound-messages');
    expect(rules.find((rule) => rule.object === 'Opportunity')?.fields).toEqual(['StageName']);

    const updated = await api.patch(`/api/v1/receiver-settings/${settingsId}`, {
      fieldUpdates: [{ object: 'Lead', field: 'Company', target: 'referral.company' }],
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const more = await metadata.wire();
    expect(more.wired).toEqual([expect.objectContaining({ object: 'Lead', kind: 'outbound_message' })]);
    expect(more.wired[0]?.detail).toContain('now also sends Company');
    const after = await sf.admin<Rule[]>('GET', '/outbound-messages');
    expect(after).toHaveLength(2);
    expect(after.find((rule) => rule.object === 'Lead')?.fields).toEqual([
      'Status',
      'Refsync_Referral_Id__c',
      'Company',
    ]);

    // A rotated hook secret: the rule moves to the new URL instead of a second rule appearing.
    expect((await api.post(`/api/v1/connections/${connectionId}/hooks/rotate`, {})).status).toBe(200);
    const rotated = await metadata.wire();
    expect(rotated.wired.map((item) => item.object)).toEqual(['Lead']);
    expect(rotated.wired[0]?.detail).toContain("connection's current outbound message URL");
    const hooks = await api.get<{ salesforceOutboundUrl: string }>(
      `/api/v1/connections/${connectionId}/hooks`,
    );
    const moved = await sf.admin<Rule[]>('GET', '/outbound-messages');
    expect(moved).toHaveLength(2);
    expect(moved.find((rule) => rule.object === 'Lead')?.endpointUrl).toBe(hooks.body.salesforceOutboundUrl);

    const unknown = await api.post<{ error: { details: Array<{ field: string }> } }>(
      `/api/v1/connections/${connectionId}/sandbox-wiring`,
      { object: 'Invoice' },
    );
    expect(unknown.status, JSON.stringify(unknown.body)).toBe(400);
    expect(unknown.body.error.details.map((detail) => detail.field)).toEqual(['object']);
  });

  it('refuses a connection to a real org with 409 not_a_sandbox, and another workspace gets 404', async () => {
    const sandbox = await api.get<{ sandbox: boolean }>(`/api/v1/connections/${connectionId}`);
    expect(sandbox.body.sandbox).toBe(true);
    const real = await api.post<{ connection: { id: string; sandbox: boolean } }>('/api/v1/connections', {
      provider: 'salesforce',
      clientId: 'real-client',
      clientSecret: 'real-secret',
    });
    expect(real.status).toBe(201);
    expect(real.body.connection.sandbox).toBe(false);
    const refused = await api.post<{ error: { code: string; message: string } }>(
      `/api/v1/connections/${real.body.connection.id}/sandbox-wiring`,
      {},
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_a_sandbox');
    expect(refused.body.error.message).toContain('by hand');

    const stranger = (await testApp.newWorkspace('stranger')).api;
    for (const path of ['objects', 'campaigns', 'records?q=x', 'fields?object=Lead']) {
      const answer = await stranger.get<{ error: { code: string } }>(
        `/api/v1/connections/${connectionId}/${path}`,
      );
      expect(answer.status, path).toBe(404);
      expect(answer.body.error.code).toBe('not_found');
    }
    const wiring = await stranger.post(`/api/v1/connections/${connectionId}/sandbox-wiring`, {});
    expect(wiring.status).toBe(404);
  });
});
