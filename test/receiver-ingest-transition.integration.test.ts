import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, eventually, type TestApp } from './helpers/app.ts';
import type { SandboxSalesforce } from './helpers/crm.ts';
import {
  deliveriesOf,
  type HookUrls,
  notificationId,
  outboundMessage,
  postSoap,
  salesforceIngestTools,
  startSalesforceIngest,
} from './helpers/salesforce-ingest.ts';

/** The transition URL: a CRM rule names a referral and the milestone it should reach. */

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

describe('the transition URL', () => {
  let referralId: string;

  beforeAll(async () => {
    await sf.admin('POST', '/fields', { object: 'Lead', name: 'Refsync_Referral_Id', type: 'string' });
    await sf.admin('POST', '/fields', { object: 'Lead', name: 'Partner_Feedback', type: 'textarea' });
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Transitions' });
    const referral = await api.post<{ id: string }>('/api/v1/referrals', {
      programId: program.body.id,
      email: 'moved@example.com',
    });
    expect(referral.status).toBe(201);
    referralId = referral.body.id;
  });

  it('saves the requested milestone and the feedback of a notification that names a referral', async () => {
    const url = `${hooks.transitionUrl}?status=won&feedbackField=Partner_Feedback__c`;
    await sf.admin('POST', '/outbound-messages', {
      object: 'Lead',
      condition: { kind: 'field-equals', field: 'Status', value: 'Closed - Converted' },
      fields: ['Refsync_Referral_Id__c', 'Partner_Feedback__c', 'Status'],
      endpointUrl: url,
    });
    const leadId = await newLead({
      Refsync_Referral_Id__c: referralId,
      Partner_Feedback__c: 'Signed for 3 years',
    });
    await setStatus(leadId, 'Closed - Converted');
    const entry = await eventually(async () =>
      (await entriesOf(leadId)).find((found) => found.source === 'salesforce_transition'),
    );
    expect(entry).toMatchObject({
      requestedMilestone: 'won',
      feedback: 'Signed for 3 years',
      objectType: 'Lead',
      recordId: leadId,
      connectionId,
    });
    expect(entry.fields).toMatchObject({ Refsync_Referral_Id__c: referralId });
    const log = await eventually(async () => {
      const found = await deliveriesOf(sf, leadId);
      return found.some((d) => d.outcome === 'acked') ? found : undefined;
    });
    expect(log.some((d) => d.httpStatus === 200)).toBe(true);
  });

  const transition = (query: string, fields: Record<string, string>) =>
    postSoap(
      `${hooks.transitionUrl}?${query}`,
      outboundMessage(sf.org.orgId, [
        { id: notificationId(), fields: { Id: '00Q000000000009AAA', ...fields } },
      ]),
    );

  it('answers 404 when the referral ID is unknown, missing, or of another workspace', async () => {
    const { api: stranger } = await testApp.newWorkspace('other');
    const otherProgram = await stranger.post<{ id: string }>('/api/v1/programs', { name: 'Theirs' });
    const otherReferral = await stranger.post<{ id: string }>('/api/v1/referrals', {
      programId: otherProgram.body.id,
      email: 'theirs@example.com',
    });
    const before = (await allEntries()).length;
    for (const fields of [
      { Refsync_Referral_Id__c: 'ref_doesnotexist' },
      {},
      { Refsync_Referral_Id__c: otherReferral.body.id },
    ]) {
      const answer = await transition('status=won', fields);
      expect(answer.status, JSON.stringify(fields)).toBe(404);
      expect(answer.text).toContain('<soapenv:Fault>');
    }
    expect((await allEntries()).length).toBe(before);
  });

  it('answers 422 for a status that is not a milestone of the program', async () => {
    const answer = await transition('status=platinum', { Refsync_Referral_Id__c: referralId });
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('platinum');
  });

  it('reads the referral ID from the field named in the URL, and needs a status', async () => {
    const answer = await transition('status=qualified&field=Custom_Ref__c', { Custom_Ref__c: referralId });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('<Ack>true</Ack>');
    expect((await transition('', { Refsync_Referral_Id__c: referralId })).status).toBe(400);
  });
});
