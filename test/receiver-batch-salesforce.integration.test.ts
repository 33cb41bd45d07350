import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { requestCounter, requestsOfBatch } from './helpers/batch-calls.ts';
import { SandboxSalesforce } from './helpers/crm.ts';
import {
  feed,
  newProgram,
  newReceiverSettings,
  newReferral,
  referralOf,
  type SalesEntry,
} from './helpers/receiver.ts';

/**
 * A batch of Salesforce entries reads the records related to them together: the CRM queries
 * a batch makes do not grow with the number of its entries. No workers run here: the test
 * hands each batch to `processBatch` as a worker would.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let sf: SandboxSalesforce;
let connectionId: string;
let crm: jsforce.Connection;
let programId: string;
/** SOQL queries the sandbox org answered. */
const queries = requestCounter(/^\/sandbox\/salesforce\/services\/data\/[^/]+\/query/);

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [salesEntrySubscriber],
    plugins: [{ prefix: '', plugin: queries.plugin }, ...sandboxPlugins(memorySandboxStore())],
    work: false,
  });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
  sf = await SandboxSalesforce.createOrg(testApp);
  connectionId = await sf.connect(api);
  expect((await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' })).status).toBe(200);
  crm = await sf.jsforce();
  programId = await newProgram(api);
  await newReceiverSettings(api, {
    programId,
    connectionId,
    statusTriggers: [{ object: 'Opportunity', field: 'StageName', value: 'Closed Won', milestone: 'won' }],
    targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
    fieldUpdates: [{ object: 'Account', field: 'Name', target: 'referral.company' }],
  });
}, 120_000);
afterAll(() => testApp.close());

/** A referral whose Lead was converted: answers the referral and the Opportunity, now Closed Won. */
async function convertedDeal(n: number): Promise<{ referralId: string; opportunityId: string }> {
  const referral = await newReferral(api, { programId, email: `deal${n}@batch.example` });
  const lead = await crm.sobject('Lead').create({
    LastName: `Deal ${n}`,
    Company: `Company ${n}`,
    Email: `deal${n}@batch.example`,
    Refsync_Referral_Id__c: referral.id,
  });
  if (!('success' in lead) || !lead.success || !lead.id) throw new Error(JSON.stringify(lead));
  const converted = await sf.admin<{ opportunityId: string }>('POST', `/leads/${lead.id}/convert`, {
    opportunityName: `Deal ${n}`,
  });
  await crm.sobject('Opportunity').update({ Id: converted.opportunityId, StageName: 'Closed Won' });
  return { referralId: referral.id, opportunityId: converted.opportunityId };
}

async function closedWon(deals: Array<{ opportunityId: string }>): Promise<string[]> {
  const ids: string[] = [];
  for (const deal of deals) {
    ids.push(
      await feed(testApp, workspaceId, {
        source: 'salesforce_outbound',
        connectionId,
        objectType: 'Opportunity',
        recordId: deal.opportunityId,
        fields: { Id: deal.opportunityId, StageName: 'Closed Won' },
        occurredAt: new Date(),
      }),
    );
  }
  return ids;
}

describe('a batch of Salesforce entries', () => {
  it('reads related records with the same CRM queries for one entry as for six', async () => {
    const deals = [];
    for (let n = 0; n < 7; n++) deals.push(await convertedDeal(n));
    const [alone, ...together] = deals;
    if (!alone) throw new Error('no deal');

    const counted = (entries: string[]) => requestsOfBatch(testApp, workspaceId, queries, entries);
    const forOne = await counted(await closedWon([alone]));
    const forSix = await counted(await closedWon(together));
    expect(forOne).toBeGreaterThan(0);
    expect(forSix).toBe(forOne);

    for (const [n, deal] of deals.entries()) {
      expect(await referralOf(api, deal.referralId)).toMatchObject({
        milestone: 'won',
        company: `Company ${n}`,
      });
    }
    const entries = await api.get<{ data: SalesEntry[] }>('/api/v1/sales-entries?status=success');
    expect(entries.body.data).toHaveLength(7);
    for (const entry of entries.body.data) {
      expect(entry).toMatchObject({ matchMethod: 'referral_id', attempts: 1 });
      expect(entry.related?.Lead).toMatchObject({ Refsync_Referral_Id__c: entry.referralId });
    }
  }, 120_000);
});
