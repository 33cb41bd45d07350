import { sql } from 'drizzle-orm';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.ts';
import type { ApiClient, TestApp } from './helpers/app.ts';
import type { SandboxSalesforce } from './helpers/crm.ts';
import {
  type PushLogEntry,
  type Referral,
  salesforcePushTools,
  startSalesforcePush,
  uniqueEmail,
} from './helpers/push-salesforce.ts';

let testApp: TestApp;
let api: ApiClient;
let sf: SandboxSalesforce;
let connectionId: string;
let crm: jsforce.Connection;

beforeAll(async () => {
  ({ testApp, api, sf, connectionId, crm } = await startSalesforcePush());
});
afterAll(() => testApp.close());

const { newProgram, settingsFor, logOf } = salesforcePushTools(() => ({ api, connectionId }));

describe('connecting Salesforce', () => {
  it('connects through OAuth and shows its health', async () => {
    const connection = await api.get<Record<string, unknown>>(`/api/v1/connections/${connectionId}`);
    expect(connection.body).toMatchObject({
      provider: 'salesforce',
      status: 'connected',
      accountId: sf.org.orgId,
    });
    expect(connection.body.lastSuccessAt).not.toBeNull();
    expect(JSON.stringify(connection.body)).not.toContain(sf.org.clientSecret);
  });

  it('refuses the same org in a second workspace, naming the reason', async () => {
    const { api: other } = await testApp.newWorkspace('other');
    await expect(sf.connect(other)).rejects.toThrow(/already connected to another refsync workspace/);
  });

  it('refuses a callback with an unknown state', async () => {
    const response = await fetch(`${testApp.url}/oauth/callback?code=abc&state=forged`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('unknown, already used or expired');
  });

  it('creates the fields refsync writes, once', async () => {
    const first = await api.post<{ created: string[]; existing: string[] }>(
      `/api/v1/connections/${connectionId}/fields`,
      {
        object: 'Lead',
      },
    );
    expect(first.status).toBe(200);
    expect(first.body.created.sort()).toEqual([
      'Refsync_Member_Url__c',
      'Refsync_Referral_Id__c',
      'Refsync_Referral_Url__c',
      'Refsync_Source_Note__c',
      'Refsync_Source__c',
    ]);
    const second = await api.post<{ created: string[]; existing: string[] }>(
      `/api/v1/connections/${connectionId}/fields`,
      {
        object: 'Lead',
      },
    );
    expect(second.body.created).toEqual([]);
    expect(second.body.existing).toHaveLength(5);
    const fields = await api.get<{ data: Array<{ name: string; required: boolean }> }>(
      `/api/v1/connections/${connectionId}/fields?object=Lead`,
    );
    expect(fields.body.data.find((field) => field.name === 'Company')?.required).toBe(true);
  });
});

describe('push settings are checked against the org', () => {
  it.each([
    [
      { mappings: [{ crmField: 'NoSuchField__c', from: 'referral.company' }] },
      'mappings.0.crmField',
      'has no field',
    ],
    [{ mappings: [{ crmField: 'Company', from: 'referral.nothing' }] }, 'mappings.0.from', 'unknown source'],
    [
      { mappings: [{ crmField: 'NumberOfEmployees', from: 'referral.company' }] },
      'mappings.0.from',
      'is text but',
    ],
    [{ mappings: [{ crmField: 'NumberOfEmployees', value: 'many' }] }, 'mappings.0.value', 'does not fit'],
    [{ crmObject: 'Opportunity' }, 'crmObject', 'must be one of'],
    [{ systemFields: { referralId: 'Missing_Field__c' } }, 'systemFields.referralId', 'has no field'],
    [{ existingPolicy: 'deny', subject: 'member', crmObject: 'Contact' }, 'existingPolicy', 'referrals only'],
  ])('rejects %j naming %s', async (body, field, text) => {
    const programId = await newProgram();
    const response = await api.post<{ error: { details: Array<{ field: string; message: string }> } }>(
      '/api/v1/push-settings',
      { programId, connectionId, crmObject: 'Lead', ...body },
    );
    expect(response.status).toBe(400);
    const issue = response.body.error.details.find((detail) => detail.field === field);
    expect(issue?.message).toContain(text);
    const listed = await api.get<{ data: unknown[] }>(`/api/v1/push-settings?programId=${programId}`);
    expect(listed.body.data).toEqual([]);
  });

  it('rejects a required Lead field left unmapped', async () => {
    await sf.admin('POST', '/fields', { object: 'Lead', name: 'Region', type: 'string', required: true });
    const programId = await newProgram();
    const missing = await api.post<{ error: { message: string } }>('/api/v1/push-settings', {
      programId,
      connectionId,
      crmObject: 'Lead',
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('Lead requires Region__c');
  });
});

describe('pushing referrals as Leads', () => {
  let programId: string;
  beforeAll(async () => {
    programId = await newProgram();
    await settingsFor(programId, {
      mappings: [
        { crmField: 'Region__c', value: 'EMEA' },
        { crmField: 'NumberOfEmployees', from: 'referral.custom.seats' },
        { crmField: 'Description', from: 'member.fullName' },
      ],
    });
  });

  it('creates a Lead with the mapped fields, the referral ID and links, and remembers it', async () => {
    const member = (
      await api.post<{ id: string }>('/api/v1/members', {
        programId,
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: uniqueEmail('ada'),
      })
    ).body;
    const email = uniqueEmail('bob');
    const referral = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        memberId: member.id,
        firstName: 'Bob',
        lastName: 'Buyer',
        email,
        company: 'Prospect Ltd',
        source: 'partner form',
        sourceNote: 'met at the fair',
        customFields: { seats: 40 },
      })
    ).body;
    const entry = await logOf(referral.id, 'created');
    expect(entry).toMatchObject({ crmObject: 'Lead', retryable: false });
    expect(entry.crmId).toMatch(/^00Q/);
    const shown = await api.get<{ crmRecords: unknown[] }>(`/api/v1/referrals/${referral.id}`);
    expect(shown.body.crmRecords).toEqual([
      { connectionId, crmObject: 'Lead', crmId: entry.crmId, dealId: null, url: entry.crmUrl },
    ]);
    expect(entry.crmUrl).toContain(entry.crmId);
    const lead = (await crm.sobject('Lead').retrieve(entry.crmId ?? '')) as Record<string, unknown>;
    expect(lead).toMatchObject({
      FirstName: 'Bob',
      LastName: 'Buyer',
      Email: email,
      Company: 'Prospect Ltd',
      Region__c: 'EMEA',
      NumberOfEmployees: 40,
      Description: 'Ada Lovelace',
      Refsync_Referral_Id__c: referral.id,
      Refsync_Source__c: 'partner form',
      Refsync_Source_Note__c: 'met at the fair',
      Refsync_Referral_Url__c: `${testApp.url}/referrals/${referral.id}`,
      Refsync_Member_Url__c: `${testApp.url}/members/${member.id}`,
    });
  });

  it('reports the CRM error verbatim and does not retry a validation failure', async () => {
    const referral = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        lastName: 'NoCompany',
        email: uniqueEmail('nc'),
      })
    ).body;
    const entry = await logOf(referral.id, 'failed');
    expect(entry.crmCode).toBe('REQUIRED_FIELD_MISSING');
    expect(entry.message).toContain('Company');
    expect(entry.retryable).toBe(false);
    const told = await queryRows<{ payload: Record<string, unknown> }>(
      testApp.app.ctx.db,
      sql`select payload from events where type = 'push.failed' and subject_id = ${referral.id}`,
    );
    expect(told).toEqual([
      { payload: expect.objectContaining({ subjectId: referral.id, crmCode: 'REQUIRED_FIELD_MISSING' }) },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const all = (await api.get<{ data: PushLogEntry[] }>(`/api/v1/push-log?subjectId=${referral.id}`)).body
      .data;
    expect(all).toHaveLength(1);
  });

  it('creates one Lead when the push job runs twice', async () => {
    const email = uniqueEmail('twice');
    const referral = (
      await api.post<Referral>('/api/v1/referrals', { programId, lastName: 'Twice', company: 'T', email })
    ).body;
    const entry = await logOf(referral.id, 'created');
    const retried = await api.post(`/api/v1/push-log/${entry.id}/retry`);
    expect(retried.status).toBe(202);
    await api.post(`/api/v1/push-log/${entry.id}/retry`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const leads = await crm.query<{ Id: string }>(`SELECT Id FROM Lead WHERE Email = '${email}'`);
    expect(leads.totalSize).toBe(1);
  });
});

describe('retrying a push that is done', () => {
  it('logs the retry as skipped, naming the Lead already there', async () => {
    const programId = await newProgram();
    await settingsFor(programId, { mappings: [{ crmField: 'Region__c', value: 'EMEA' }] });
    const referral = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        lastName: 'Again',
        company: 'A',
        email: uniqueEmail('again'),
      })
    ).body;
    const created = await logOf(referral.id, 'created');
    const retried = await api.post(`/api/v1/push-log/${created.id}/retry`);
    expect(retried.status).toBe(202);
    const skipped = await logOf(referral.id, 'skipped');
    expect(skipped).toMatchObject({
      crmObject: 'Lead',
      crmId: created.crmId,
      crmUrl: created.crmUrl,
      crmCode: null,
      retryable: false,
    });
    expect(skipped.message).toBe(`Already pushed as Lead ${created.crmId}; not pushed again`);
    const all = (await api.get<{ data: PushLogEntry[] }>(`/api/v1/push-log?subjectId=${referral.id}`)).body
      .data;
    expect(all.map((entry) => entry.action)).toEqual(['skipped', 'created']);
  });
});

describe('pushing members', () => {
  it('pushes members as Contacts through settings of their own', async () => {
    await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Contact' });
    const programId = await newProgram();
    const settings = await api.post('/api/v1/push-settings', {
      programId,
      connectionId,
      subject: 'member',
      crmObject: 'Contact',
      mappings: [{ crmField: 'Description', from: 'member.referralCode' }],
    });
    expect(settings.status, JSON.stringify(settings.body)).toBe(201);
    const email = uniqueEmail('member');
    const member = (
      await api.post<{ id: string; referralCode: string }>('/api/v1/members', {
        programId,
        firstName: 'Grace',
        lastName: 'Hopper',
        email,
      })
    ).body;
    const entry = await logOf(member.id, 'created');
    expect(entry.crmObject).toBe('Contact');
    const contact = (await crm.sobject('Contact').retrieve(entry.crmId ?? '')) as Record<string, unknown>;
    expect(contact).toMatchObject({
      FirstName: 'Grace',
      LastName: 'Hopper',
      Email: email,
      Description: member.referralCode,
      Refsync_Member_Url__c: `${testApp.url}/members/${member.id}`,
    });
    // A referral in the same program has no referral settings here, so nothing is pushed for it.
    const referral = (
      await api.post<{ id: string }>('/api/v1/referrals', {
        programId,
        lastName: 'R',
        email: uniqueEmail('r'),
      })
    ).body;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const log = await api.get<{ data: unknown[] }>(`/api/v1/push-log?subjectId=${referral.id}`);
    expect(log.body.data).toEqual([]);
  });
});
