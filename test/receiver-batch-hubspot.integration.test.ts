import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { requestCounter, requestsOfBatch } from './helpers/batch-calls.ts';
import { SandboxHubspot } from './helpers/crm.ts';
import {
  feed,
  newProgram,
  newReceiverSettings,
  newReferral,
  referralOf,
  type SalesEntry,
} from './helpers/receiver.ts';

/**
 * A batch of HubSpot entries reads its deals' associated contacts and companies together
 * (associations v4 batch reads, then object batch reads): the CRM calls a batch makes do not
 * grow with the number of its entries. No workers run: the test hands each batch to
 * `processBatch` as a worker would.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let hs: SandboxHubspot;
let connectionId: string;
let programId: string;
/** CRM API calls the sandbox portal answered (not OAuth, not its admin API). */
const calls = requestCounter(/^\/sandbox\/hubspot\/crm\//);

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [salesEntrySubscriber],
    plugins: [{ prefix: '', plugin: calls.plugin }, ...sandboxPlugins(memorySandboxStore())],
    work: false,
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
    statusTriggers: [{ object: 'deal', field: 'dealstage', value: 'closedwon', milestone: 'won' }],
    fieldUpdates: [{ object: 'companies', field: 'name', target: 'referral.company' }],
  });
}, 120_000);
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

/** A referral whose contact has a closedwon deal with a company: answers the referral and the deal. */
async function wonDeal(n: number): Promise<{ referralId: string; dealId: string }> {
  const email = `deal${n}.${Math.random().toString(36).slice(2, 8)}@batch.example`;
  const referral = await newReferral(api, { programId, email });
  const create = (type: string, properties: Record<string, string>) =>
    hubspot<{ id: string }>('POST', `/crm/v3/objects/${type}`, { properties });
  const contact = await create('contacts', { email, firstname: `Deal ${n}` });
  const company = await create('companies', { name: `Company ${n}` });
  const deal = await create('deals', { dealname: `Deal ${n}`, pipeline: 'default', dealstage: 'closedwon' });
  const associate = (toType: string, toId: string) =>
    hubspot('PUT', `/crm/v4/objects/deals/${deal.id}/associations/default/${toType}/${toId}`);
  await associate('contacts', contact.id);
  await associate('companies', company.id);
  return { referralId: referral.id, dealId: deal.id };
}

async function closedWon(deals: Array<{ dealId: string }>): Promise<string[]> {
  const ids: string[] = [];
  for (const deal of deals) {
    ids.push(
      await feed(testApp, workspaceId, {
        source: 'hubspot_webhook',
        connectionId,
        objectType: 'deals',
        recordId: deal.dealId,
        fields: { dealstage: 'closedwon' },
        occurredAt: new Date(),
      }),
    );
  }
  return ids;
}

describe('a batch of HubSpot entries', () => {
  it('reads associated records with the same CRM calls for one entry as for six', async () => {
    const deals = [];
    for (let n = 0; n < 7; n++) deals.push(await wonDeal(n));
    const [alone, ...together] = deals;
    if (!alone) throw new Error('no deal');

    const counted = (entries: string[]) => requestsOfBatch(testApp, workspaceId, calls, entries);
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
      expect(entry).toMatchObject({ matchMethod: 'fuzzy_email', attempts: 1 });
      expect(entry.related?.companies).toMatchObject({ name: expect.stringMatching(/^Company \d$/) });
      expect(entry.related?.contacts).toMatchObject({ email: expect.stringMatching(/@batch\.example$/) });
    }
  }, 120_000);
});
