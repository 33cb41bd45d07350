import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, TestApp } from './helpers/app.ts';
import type { SandboxSalesforce } from './helpers/crm.ts';
import {
  addLeadFields,
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
  await addLeadFields({ api, sf, connectionId });
});
afterAll(() => testApp.close());

const { newProgram, settingsFor, logOf } = salesforcePushTools(() => ({ api, connectionId }));

describe('when the email already matches a Lead', () => {
  const existingLead = async (email: string, values: Record<string, unknown> = {}) => {
    const result = await crm
      .sobject('Lead')
      .create({ LastName: 'Existing', Company: 'Old Co', Email: email, Region__c: 'US', ...values });
    if (!('id' in result) || !result.success) throw new Error('lead not created');
    return result.id;
  };

  const pushWithPolicy = async (policy: string, extra: Record<string, unknown> = {}) => {
    const programId = await newProgram();
    await settingsFor(programId, {
      existingPolicy: policy,
      mappings: [{ crmField: 'Region__c', value: 'EMEA' }],
      ...extra,
    });
    return programId;
  };

  it('do_nothing links the referral to it and changes nothing', async () => {
    const email = uniqueEmail('nothing');
    const leadId = await existingLead(email);
    const programId = await pushWithPolicy('do_nothing');
    const referral = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        lastName: 'New',
        company: 'New Co',
        email: email.toUpperCase(),
      })
    ).body;
    const entry = await logOf(referral.id, 'skipped');
    expect(entry.crmId).toBe(leadId);
    expect(entry.message).toContain('do_nothing');
    const lead = (await crm.sobject('Lead').retrieve(leadId)) as Record<string, unknown>;
    expect(lead).toMatchObject({ LastName: 'Existing', Company: 'Old Co' });
  });

  it('fill_blank writes only the fields that are empty', async () => {
    const email = uniqueEmail('fill');
    const leadId = await existingLead(email, { FirstName: null });
    const programId = await pushWithPolicy('fill_blank');
    const referral = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        firstName: 'Filled',
        lastName: 'New',
        company: 'New Co',
        email,
      })
    ).body;
    const entry = await logOf(referral.id, 'updated');
    expect(entry.crmId).toBe(leadId);
    const lead = (await crm.sobject('Lead').retrieve(leadId)) as Record<string, unknown>;
    expect(lead).toMatchObject({
      FirstName: 'Filled',
      LastName: 'Existing',
      Company: 'Old Co',
      Region__c: 'US',
    });
    expect(lead.Refsync_Referral_Id__c).toBe(referral.id);
  });

  it('overwrite writes every mapped field', async () => {
    const email = uniqueEmail('over');
    const leadId = await existingLead(email);
    const programId = await pushWithPolicy('overwrite');
    const referral = (
      await api.post<Referral>('/api/v1/referrals', { programId, lastName: 'New', company: 'New Co', email })
    ).body;
    await logOf(referral.id, 'updated');
    const lead = (await crm.sobject('Lead').retrieve(leadId)) as Record<string, unknown>;
    expect(lead).toMatchObject({ LastName: 'New', Company: 'New Co', Region__c: 'EMEA' });
  });

  it('deny moves the referral to the denied milestone, with the reason', async () => {
    const email = uniqueEmail('deny');
    const leadId = await existingLead(email);
    const programId = await pushWithPolicy('deny', { denyGraceMinutes: 0 });
    const referral = (
      await api.post<Referral>('/api/v1/referrals', { programId, lastName: 'New', company: 'New Co', email })
    ).body;
    const entry = await logOf(referral.id, 'denied');
    expect(entry.crmId).toBe(leadId);
    const after = (await api.get<Referral>(`/api/v1/referrals/${referral.id}`)).body;
    expect(after.milestone).toBe('lost');
    expect(after.history.at(-1)).toMatchObject({ to: 'lost', actor: `crm:${connectionId}` });
    expect(after.history.at(-1)?.reason).toContain(leadId);
  });

  it('deny leaves the referral alone when the Lead was created in the last 60 minutes', async () => {
    const email = uniqueEmail('young');
    await existingLead(email);
    const programId = await pushWithPolicy('deny');
    const referral = (
      await api.post<Referral>('/api/v1/referrals', { programId, lastName: 'New', company: 'New Co', email })
    ).body;
    const entry = await logOf(referral.id, 'skipped');
    expect(entry.message).toContain('less than 60 minutes');
    expect((await api.get<Referral>(`/api/v1/referrals/${referral.id}`)).body.milestone).toBe('submitted');
  });

  it('create_duplicate creates a second Lead past the duplicate rule', async () => {
    const email = uniqueEmail('dup');
    await existingLead(email);
    const programId = await pushWithPolicy('create_duplicate');
    const referral = (
      await api.post<Referral>('/api/v1/referrals', { programId, lastName: 'Dup', company: 'Dup Co', email })
    ).body;
    await logOf(referral.id, 'created');
    const leads = await crm.query<{ Id: string }>(`SELECT Id FROM Lead WHERE Email = '${email}'`);
    expect(leads.totalSize).toBe(2);
  });

  it('updates the Contact of a converted Lead instead of the Lead', async () => {
    const email = uniqueEmail('conv');
    const leadId = await existingLead(email);
    const converted = await sf.admin<{ contactId: string }>('POST', `/leads/${leadId}/convert`, {});
    const programId = await pushWithPolicy('overwrite');
    const referral = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        firstName: 'Conv',
        lastName: 'Erted',
        company: 'C',
        email,
      })
    ).body;
    const entry = await logOf(referral.id, 'updated');
    expect(entry.crmObject).toBe('Contact');
    expect(entry.crmId).toBe(converted.contactId);
    const contact = (await crm.sobject('Contact').retrieve(converted.contactId)) as Record<string, unknown>;
    expect(contact).toMatchObject({ FirstName: 'Conv', LastName: 'Erted' });
  });
});

describe('campaigns', () => {
  it('adds pushed Leads to the program campaign, or the one named on the referral', async () => {
    const programCampaign = await crm.sobject('Campaign').create({ Name: 'Referral program' });
    const referralCampaign = await crm.sobject('Campaign').create({ Name: 'Spring push' });
    if (!('id' in programCampaign) || !('id' in referralCampaign)) throw new Error('campaigns not created');
    const programId = (
      await api.post<{ id: string }>('/api/v1/programs', {
        name: 'Campaigns',
        referralFields: [{ key: 'crm_campaign_id', label: 'Campaign', type: 'text' }],
      })
    ).body.id;
    await settingsFor(programId, {
      campaignId: programCampaign.id,
      mappings: [{ crmField: 'Region__c', value: 'EMEA' }],
    });
    const plain = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        lastName: 'A',
        company: 'A',
        email: uniqueEmail('ca'),
      })
    ).body;
    const named = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        lastName: 'B',
        company: 'B',
        email: uniqueEmail('cb'),
        customFields: { crm_campaign_id: referralCampaign.id },
      })
    ).body;
    const plainLead = (await logOf(plain.id, 'created')).crmId;
    const namedLead = (await logOf(named.id, 'created')).crmId;
    const members = await crm.query<{ CampaignId: string; LeadId: string }>(
      `SELECT CampaignId, LeadId FROM CampaignMember WHERE LeadId IN ('${plainLead}', '${namedLead}')`,
    );
    const byLead = Object.fromEntries(members.records.map((record) => [record.LeadId, record.CampaignId]));
    expect(byLead).toEqual({ [plainLead ?? '']: programCampaign.id, [namedLead ?? '']: referralCampaign.id });
  });

  it('refuses a campaignId the org does not have, naming campaignId', async () => {
    const programId = await newProgram();
    for (const campaignId of ['701000000000000AAA', 'not-an-id']) {
      const response = await api.post<{
        error: { code: string; details: Array<{ field: string; message: string }> };
      }>('/api/v1/push-settings', {
        programId,
        connectionId,
        crmObject: 'Lead',
        campaignId,
        mappings: [{ crmField: 'Region__c', value: 'EMEA' }],
      });
      expect(response.status, JSON.stringify(response.body)).toBe(422);
      expect(response.body.error.code).toBe('unprocessable');
      expect(response.body.error.details).toEqual([
        { field: 'campaignId', message: expect.stringContaining(`no Campaign with Id ${campaignId}`) },
      ]);
    }
    const listed = await api.get<{ data: unknown[] }>(`/api/v1/push-settings?programId=${programId}`);
    expect(listed.body.data).toEqual([]);
  });

  it('logs a campaign the record could not join as its own failed entry, next to created', async () => {
    const campaign = await crm.sobject('Campaign').create({ Name: 'Deleted later' });
    if (!('id' in campaign) || !campaign.id) throw new Error('campaign not created');
    const programId = await newProgram();
    await settingsFor(programId, {
      campaignId: campaign.id,
      mappings: [{ crmField: 'Region__c', value: 'EMEA' }],
    });
    await crm.sobject('Campaign').destroy(campaign.id);
    const referral = (
      await api.post<Referral>('/api/v1/referrals', {
        programId,
        lastName: 'Orphan',
        company: 'O',
        email: uniqueEmail('orphan'),
      })
    ).body;
    const created = await logOf(referral.id, 'created');
    expect(created).toMatchObject({ crmObject: 'Lead', crmCode: null, message: null });
    const failed = await logOf(referral.id, 'failed');
    expect(failed).toMatchObject({
      crmObject: 'Campaign',
      crmId: campaign.id,
      crmCode: 'INVALID_CROSS_REFERENCE_KEY',
      message: 'invalid cross reference id',
      retryable: false,
    });
    const lead = (await crm.sobject('Lead').retrieve(created.crmId ?? '')) as Record<string, unknown>;
    expect(lead).toMatchObject({ LastName: 'Orphan' });
  });
});
