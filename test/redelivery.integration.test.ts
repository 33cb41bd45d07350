import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { subscribers } from '../src/subscribers.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';
import { newReceiverSettings, newReferral } from './helpers/receiver.ts';
import { outboundMessage, postSoap } from './helpers/salesforce-ingest.ts';

/**
 * The same CRM events delivered two ways to two workspaces set up alike: once, in the CRM's
 * order; and every Salesforce message three times and every HubSpot batch twice, all in a
 * shuffled order. Both must end in the same state, table by table.
 */

let testApp: TestApp;
beforeAll(async () => {
  testApp = await startTestApp({ subscribers, plugins: sandboxPlugins(memorySandboxStore()) });
}, 600_000);
afterAll(() => testApp?.close());

/** Per referral, what its CRMs say, in CRM time order (a step every minute). */
const stories: Array<Array<['sf' | 'hs', string]>> = [
  [
    ['sf', 'Working - Contacted'],
    ['hs', 'customer'],
  ],
  [
    ['hs', 'salesqualifiedlead'],
    ['sf', 'Closed - Converted'],
    ['hs', 'customer'],
  ],
  [
    ['sf', 'Working - Contacted'],
    ['sf', 'Closed - Not Converted'],
  ],
  [
    ['hs', 'salesqualifiedlead'],
    ['sf', 'Working - Contacted'],
  ],
  [
    ['sf', 'Closed - Converted'],
    ['sf', 'Working - Contacted'],
    ['hs', 'salesqualifiedlead'],
  ],
  [
    ['hs', 'customer'],
    ['hs', 'salesqualifiedlead'],
  ],
  [
    ['sf', 'Working - Contacted'],
    ['hs', 'salesqualifiedlead'],
    ['sf', 'Working - Contacted'],
  ],
  [['sf', 'Closed - Not Converted']],
];
const start = Date.UTC(2026, 0, 1);

interface Deliveries {
  /** One request each: a Salesforce message or a HubSpot batch, with its CRM time. */
  requests: Array<{ at: number; crm: 'sf' | 'hs'; send: () => Promise<number> }>;
  api: ApiClient;
  workspaceId: string;
}

async function workspaceWithEvents(name: string): Promise<Deliveries> {
  const { api, id: workspaceId } = await testApp.newWorkspace(name);
  const program = (await api.post<{ id: string }>('/api/v1/programs', { name })).body.id;
  await api.post('/api/v1/reward-rules', {
    programId: program,
    name: 'Credit',
    milestone: 'won',
    recipient: 'referrer',
    amount: { type: 'fixed', currency: 'usd', amountMinor: 500 },
  });
  const member = (
    await api.post<{ id: string }>('/api/v1/members', { programId: program, email: 'm@x.test' })
  ).body;
  const sf = await SandboxSalesforce.createOrg(testApp);
  const hs = await SandboxHubspot.createPortal(testApp);
  const sfId = await sf.connect(api);
  const hsId = await hs.connect(api);
  await api.post(`/api/v1/connections/${sfId}/fields`, { object: 'Lead' });
  await api.post(`/api/v1/connections/${hsId}/fields`, { object: 'contacts' });
  await newReceiverSettings(api, {
    programId: program,
    connectionId: sfId,
    statusTriggers: [
      { object: 'Lead', field: 'Status', value: 'Working - Contacted', milestone: 'qualified' },
      { object: 'Lead', field: 'Status', value: 'Closed - Converted', milestone: 'won' },
      { object: 'Lead', field: 'Status', value: 'Closed - Not Converted', milestone: 'lost' },
    ],
    targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
  });
  await newReceiverSettings(api, {
    programId: program,
    connectionId: hsId,
    statusTriggers: [
      { object: 'contacts', field: 'lifecyclestage', value: 'salesqualifiedlead', milestone: 'qualified' },
      { object: 'contacts', field: 'lifecyclestage', value: 'customer', milestone: 'won' },
    ],
    targetMatch: [{ object: 'contacts', field: 'refsync_referral_id', matchOn: 'referralId' }],
  });
  const hookUrls = (
    await api.get<{ salesforceOutboundUrl: string; hubspotWebhookUrl: string }>(
      `/api/v1/connections/${sfId}/hooks`,
    )
  ).body;
  const requests: Deliveries['requests'] = [];
  for (const [index, story] of stories.entries()) {
    const referral = await newReferral(api, {
      programId: program,
      memberId: member.id,
      lastName: `Story ${index}`,
      company: 'Redelivery',
      email: `story${index}@x.test`,
    });
    const contact = await fetch(`${SandboxHubspot.baseUrl(testApp)}/crm/v3/objects/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: { email: `story${index}@x.test`, refsync_referral_id: referral.id },
      }),
    });
    const contactId = ((await contact.json()) as { id: string }).id;
    for (const [step, [crm, value]] of story.entries()) {
      const at = start + step * 60_000 + index * 1000;
      const eventId = `${index}${step}`;
      if (crm === 'sf') {
        const body = outboundMessage(sf.org.orgId, [
          {
            id: `04l${eventId.padStart(15, '0')}`,
            fields: {
              Id: `00Q${String(index).padStart(15, '0')}`,
              Status: value,
              Refsync_Referral_Id__c: referral.id,
              SystemModstamp: new Date(at).toISOString(),
            },
          },
        ]);
        requests.push({
          at,
          crm,
          send: async () => (await postSoap(hookUrls.salesforceOutboundUrl, body)).status,
        });
      } else {
        const body = JSON.stringify([
          {
            eventId: Number(eventId),
            subscriptionId: 1,
            portalId: Number(hs.portal.portalId),
            appId: Number(hs.portal.appId),
            occurredAt: at,
            subscriptionType: 'contact.propertyChange',
            attemptNumber: 0,
            objectId: Number(contactId),
            propertyName: 'lifecyclestage',
            propertyValue: value,
          },
        ]);
        requests.push({
          at,
          crm,
          send: async () => {
            const timestamp = String(Date.now());
            const signature = createHmac('sha256', hs.portal.clientSecret)
              .update(`POST${hookUrls.hubspotWebhookUrl}${body}${timestamp}`)
              .digest('base64');
            const answer = await fetch(hookUrls.hubspotWebhookUrl, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-hubspot-signature-v3': signature,
                'x-hubspot-request-timestamp': timestamp,
              },
              body,
            });
            return answer.status;
          },
        });
      }
    }
  }
  return { requests, api, workspaceId };
}

async function settled(api: ApiClient) {
  await eventually(async () => {
    const waiting = await api.get<{ data: unknown[] }>('/api/v1/sales-entries?status=received&limit=1');
    return waiting.body.data.length === 0 ? true : undefined;
  }, 60_000);
}

/** The state of a workspace with its own IDs replaced by what they name, table by table. */
async function stateOf(workspaceId: string) {
  const rows = <T>(text: string) =>
    queryRows<T>(testApp.app.ctx.db, sql.raw(text.replaceAll(':ws', `'${workspaceId}'`)));
  return {
    referrals: await rows(
      'select email, milestone, company, last_name from referrals where workspace_id = :ws order by email',
    ),
    salesEntries: await rows(
      `select regexp_replace(e.dedupe_key, '^hs:[0-9]+:', 'hs:') as key, r.email as referral, e.status <> 'received' as final
       from sales_entries e left join referrals r on r.id = e.referral_id
       where e.workspace_id = :ws order by key`,
    ),
    rewards: await rows(
      `select r.email, w.recipient, w.amount, w.status from rewards w join referrals r on r.id = w.referral_id
       where w.workspace_id = :ws order by r.email`,
    ),
  };
}

describe('redelivery', { timeout: 600_000 }, () => {
  it('ends in the same state as one delivery in order, whatever the order and however often', async () => {
    const once = await workspaceWithEvents('in order');
    const often = await workspaceWithEvents('redelivered');

    // In the CRM's order, one at a time, each processed before the next.
    for (const request of [...once.requests].sort((a, b) => a.at - b.at)) {
      expect([200, 204]).toContain(await request.send());
      await settled(once.api);
    }

    // Salesforce messages 3 times, HubSpot batches twice, all shuffled, several at a time.
    const shuffled = often.requests.flatMap((request) =>
      Array.from({ length: request.crm === 'sf' ? 3 : 2 }, () => request),
    );
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [
        shuffled[j] as (typeof shuffled)[number],
        shuffled[i] as (typeof shuffled)[number],
      ];
    }
    for (let i = 0; i < shuffled.length; i += 4) {
      const statuses = await Promise.all(shuffled.slice(i, i + 4).map((request) => request.send()));
      for (const status of statuses) expect([200, 204]).toContain(status);
    }
    await settled(often.api);

    // Rewards follow milestone moves in jobs of their own: both workspaces settle first.
    const expected = await stateOf(once.workspaceId);
    const same = (a: unknown) => JSON.stringify(a) === JSON.stringify(expected);
    let actual = await stateOf(often.workspaceId);
    const deadline = Date.now() + 60_000;
    while (!same(actual) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      actual = await stateOf(often.workspaceId);
    }
    expect(expected.referrals.length).toBe(stories.length);
    expect(expected.rewards.length).toBeGreaterThan(0);
    expect(actual.referrals).toEqual(expected.referrals);
    expect(actual.salesEntries).toEqual(expected.salesEntries);
    expect(actual.rewards).toEqual(expected.rewards);
  });
});
