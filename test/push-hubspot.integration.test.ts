import { Client } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushSubscriber } from '../src/push/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxHubspot } from './helpers/crm.ts';

interface PushLogEntry {
  id: string;
  action: string;
  crmObject: string | null;
  crmId: string | null;
  crmUrl: string | null;
  crmCode: string | null;
  message: string | null;
  retryable: boolean;
}

let testApp: TestApp;
let api: ApiClient;
let hs: SandboxHubspot;
let connectionId: string;
let hubspot: Client;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [pushSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
  });
  api = (await testApp.newWorkspace()).api;
  hs = await SandboxHubspot.createPortal(testApp);
  connectionId = await hs.connect(api);
  hubspot = new Client({ accessToken: hs.portal.accessToken, basePath: SandboxHubspot.baseUrl(testApp) });
  const fields = await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'contacts' });
  expect(fields.status).toBe(200);
});
afterAll(() => testApp.close());

const uniqueEmail = (label: string) => `${label}.${Math.random().toString(36).slice(2, 8)}@Prospect.example`;

const logOf = async (subjectId: string, action: string) =>
  eventually(async () => {
    const entries = (await api.get<{ data: PushLogEntry[] }>(`/api/v1/push-log?subjectId=${subjectId}`)).body
      .data;
    return entries.find((entry) => entry.action === action);
  }, 20_000);

const programWith = async (settings: Record<string, unknown>) => {
  const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: `HS ${Math.random()}` })).body
    .id;
  const created = await api.post('/api/v1/push-settings', {
    programId,
    connectionId,
    crmObject: 'contacts',
    ...settings,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return programId;
};

describe('pushing referrals into HubSpot', () => {
  it('connects through OAuth with the portal ID as the account', async () => {
    const connection = await api.get<Record<string, unknown>>(`/api/v1/connections/${connectionId}`);
    expect(connection.body).toMatchObject({
      provider: 'hubspot',
      status: 'connected',
      accountId: String(hs.portal.portalId),
    });
  });

  it('creates a contact and a deal in the chosen pipeline stage, associated', async () => {
    const programId = await programWith({
      deal: { pipeline: 'default', stage: 'appointmentscheduled', name: 'Referral deal' },
    });
    const email = uniqueEmail('deal');
    const referral = (
      await api.post<{ id: string }>('/api/v1/referrals', {
        programId,
        firstName: 'Hub',
        lastName: 'Spot',
        email,
        company: 'HS Co',
      })
    ).body;
    const entry = await logOf(referral.id, 'created');
    expect(entry.crmObject).toBe('contacts');
    expect(entry.message).toMatch(/^Created with deal \d+/);
    const contact = await hubspot.crm.contacts.basicApi.getById(entry.crmId ?? '', [
      'email',
      'firstname',
      'lastname',
      'company',
      'refsync_referral_id',
    ]);
    // HubSpot stores emails in lower case.
    expect(contact.properties).toMatchObject({
      email: email.toLowerCase(),
      firstname: 'Hub',
      lastname: 'Spot',
      company: 'HS Co',
      refsync_referral_id: referral.id,
    });
    const associations = await hubspot.crm.associations.v4.basicApi.getPage(
      'contacts',
      entry.crmId ?? '',
      'deals',
    );
    expect(associations.results).toHaveLength(1);
    const dealId = associations.results[0]?.toObjectId ?? '';
    const deal = await hubspot.crm.deals.basicApi.getById(String(dealId), [
      'dealname',
      'pipeline',
      'dealstage',
    ]);
    expect(deal.properties).toMatchObject({
      dealname: 'Referral deal',
      pipeline: 'default',
      dealstage: 'appointmentscheduled',
    });
  });

  it('fills blanks of an existing contact matched by email, case-insensitively', async () => {
    const email = uniqueEmail('fill');
    const existing = await hubspot.crm.contacts.basicApi.create({
      properties: { email, lastname: 'Old' },
      associations: [],
    });
    const programId = await programWith({ existingPolicy: 'fill_blank' });
    const referral = (
      await api.post<{ id: string }>('/api/v1/referrals', {
        programId,
        firstName: 'New',
        lastName: 'Name',
        email: email.toUpperCase(),
      })
    ).body;
    const entry = await logOf(referral.id, 'updated');
    expect(entry.crmId).toBe(existing.id);
    const contact = await hubspot.crm.contacts.basicApi.getById(existing.id, ['firstname', 'lastname']);
    expect(contact.properties).toMatchObject({ firstname: 'New', lastname: 'Old' });
  });

  it('refuses create_duplicate for HubSpot at save time', async () => {
    const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'dup' })).body.id;
    const response = await api.post<{ error: { message: string } }>('/api/v1/push-settings', {
      programId,
      connectionId,
      crmObject: 'contacts',
      existingPolicy: 'create_duplicate',
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('HubSpot does not allow two contacts with one email');
  });

  it('pushes members as contacts through their own settings', async () => {
    const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'members' })).body.id;
    const settings = await api.post('/api/v1/push-settings', {
      programId,
      connectionId,
      subject: 'member',
      crmObject: 'contacts',
    });
    expect(settings.status, JSON.stringify(settings.body)).toBe(201);
    const email = uniqueEmail('member');
    const member = (
      await api.post<{ id: string }>('/api/v1/members', {
        programId,
        firstName: 'Mem',
        lastName: 'Ber',
        email,
      })
    ).body;
    const entry = await logOf(member.id, 'created');
    const contact = await hubspot.crm.contacts.basicApi.getById(entry.crmId ?? '', [
      'email',
      'firstname',
      'refsync_member_url',
    ]);
    expect(contact.properties).toMatchObject({
      email: email.toLowerCase(),
      firstname: 'Mem',
      refsync_member_url: `${testApp.url}/members/${member.id}`,
    });
  });

  it.each([
    ['do_nothing', 'skipped', { firstname: 'Old', lastname: 'Contact' }, 'submitted'],
    ['overwrite', 'updated', { firstname: 'New', lastname: 'Name' }, 'submitted'],
    ['deny', 'denied', { firstname: 'Old', lastname: 'Contact' }, 'lost'],
  ] as const)('policy %s on an existing contact: %s', async (policy, action, properties, milestone) => {
    const email = uniqueEmail(policy);
    const existing = await hubspot.crm.contacts.basicApi.create({
      properties: { email, firstname: 'Old', lastname: 'Contact' },
      associations: [],
    });
    const programId = await programWith({ existingPolicy: policy, denyGraceMinutes: 0 });
    const referral = (
      await api.post<{ id: string }>('/api/v1/referrals', {
        programId,
        firstName: 'New',
        lastName: 'Name',
        email,
      })
    ).body;
    const entry = await logOf(referral.id, action);
    expect(entry.crmId).toBe(existing.id);
    const contact = await hubspot.crm.contacts.basicApi.getById(existing.id, ['firstname', 'lastname']);
    expect(contact.properties).toMatchObject(properties);
    const after = await api.get<{ milestone: string }>(`/api/v1/referrals/${referral.id}`);
    expect(after.body.milestone).toBe(milestone);
  });

  it('rejects mappings to properties the portal does not have, or of the wrong type', async () => {
    const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'bad mapping' })).body.id;
    const response = await api.post<{ error: { details: Array<{ field: string; message: string }> } }>(
      '/api/v1/push-settings',
      {
        programId,
        connectionId,
        crmObject: 'contacts',
        mappings: [
          { crmField: 'no_such_property', from: 'referral.company' },
          { crmField: 'email', value: true },
        ],
      },
    );
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((detail) => detail.field).sort()).toEqual([
      'mappings.0.crmField',
      'mappings.1.value',
    ]);
  });

  it('creates one contact when the push runs twice, and recovers from an outage', async () => {
    const programId = await programWith({});
    await hs.admin('PUT', '/faults', { outageSeconds: 2 });
    const email = uniqueEmail('twice');
    const referral = (
      await api.post<{ id: string }>('/api/v1/referrals', { programId, lastName: 'Twice', email })
    ).body;
    const failed = await logOf(referral.id, 'failed');
    expect(failed.retryable).toBe(true);
    const entry = await eventually(async () => {
      const entries = (await api.get<{ data: PushLogEntry[] }>(`/api/v1/push-log?subjectId=${referral.id}`))
        .body.data;
      return entries.find((item) => item.action === 'created');
    }, 40_000);
    await api.post(`/api/v1/push-log/${entry.id}/retry`);
    await api.post(`/api/v1/push-log/${failed.id}/retry`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const found = await hubspot.crm.contacts.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'email', operator: FilterOperatorEnum.Eq, value: email.toLowerCase() }] },
      ],
      limit: 10,
      after: '0',
      sorts: [],
      properties: ['email'],
    });
    expect(found.total).toBe(1);
  }, 60_000);
});
