import { and, eq } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emails, events } from '../src/db/schema.ts';
import { releaseDueRewards } from '../src/rewards/release.ts';
import { rewardIssueSubscriber, rewardPayoutSubscriber } from '../src/rewards/subscriber.ts';
import { sandboxPrefixes } from '../src/sandbox/index.ts';
import { type ApiClient, eventually, type TestApp } from './helpers/app.ts';
import { SandboxHubspot } from './helpers/crm.ts';
import { feed, newProgram, newReceiverSettings, newReferral } from './helpers/receiver.ts';
import {
  newMember,
  newRule,
  type Reward,
  rewardsOf,
  sandboxAdmin,
  settledRewards,
  startRewardsApp,
  stripeAccount,
} from './helpers/rewards.ts';

/** A HubSpot deal won in the sandbox portal pays the referrer a Stripe credit and the friend a coupon. */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let hs: SandboxHubspot;
let connectionId: string;
let programId: string;
let stripe: Stripe;
let friendRule: string;

beforeAll(async () => {
  testApp = await startRewardsApp();
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
  });
  const account = await stripeAccount(testApp);
  stripe = account.stripe;
  const settings = await api.request('PUT', `/api/v1/programs/${programId}/reward-settings`, {
    body: { stripe: { baseUrl: testApp.url, secretKey: account.secretKey } },
  });
  expect(settings.status).toBe(200);
  expect(JSON.stringify(settings.body)).not.toContain(account.secretKey);
  expect(settings.body).toMatchObject({ stripe: { baseUrl: testApp.url, secretKeySet: true } });
  await newRule(api, {
    programId,
    name: 'Referrer credit',
    milestone: 'won',
    recipient: 'referrer',
    amount: { type: 'fixed', currency: 'usd', amountMinor: 2500 },
    fulfilment: 'stripe',
  });
  friendRule = (
    await newRule(api, {
      programId,
      name: 'Friend coupon',
      milestone: 'won',
      recipient: 'referred',
      amount: { type: 'fixed', currency: 'USD', amountMinor: 1000 },
      fulfilment: 'coupon',
    })
  ).id;
  const pool = await api.post(`/api/v1/reward-rules/${friendRule}/coupons`, {
    codes: ['WELCOME-A', 'WELCOME-B', 'WELCOME-B', 'WELCOME-C'],
  });
  expect(pool.body).toEqual({ added: 3, available: 3 });
});
afterAll(() => testApp.close());

async function hubspot<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${SandboxHubspot.baseUrl(testApp)}${path}`, {
    method,
    headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A member with a Stripe customer, their friend as a referral, and a won deal for the friend. */
async function wonDeal(tag: string) {
  const memberEmail = `${tag}.referrer@example.com`;
  const customer = await stripe.customers.create({ email: memberEmail, name: tag });
  const member = await newMember(api, { programId, email: memberEmail, firstName: tag });
  const friendEmail = `${tag}.friend@hubspot.example`;
  const referral = await newReferral(api, {
    programId,
    memberId: member.id,
    email: friendEmail,
    firstName: 'Friend',
  });
  const contact = await hubspot<{ id: string }>('POST', '/crm/v3/objects/contacts', {
    properties: { email: friendEmail, firstname: 'Friend' },
  });
  const deal = await hubspot<{ id: string }>('POST', '/crm/v3/objects/deals', {
    properties: { dealname: `${tag} deal`, pipeline: 'default', dealstage: 'closedwon' },
  });
  await hubspot('PUT', `/crm/v4/objects/deals/${deal.id}/associations/default/contacts/${contact.id}`);
  return { customer, member, referral, deal };
}

const webhook = (dealId: string) =>
  feed(testApp, workspaceId, {
    source: 'hubspot_webhook',
    connectionId,
    objectType: 'deals',
    recordId: dealId,
    fields: { dealstage: 'closedwon' },
    occurredAt: new Date(),
  });

describe('rewards end to end', () => {
  it('a deal won in HubSpot pays the referrer a Stripe credit and the friend a coupon', async () => {
    const { customer, member, referral, deal } = await wonDeal('ana');
    await webhook(deal.id);
    const rewards = await settledRewards(api, referral.id, 2);
    const detailOfReferral = await api.get<{ milestone: string; rewards: unknown[] }>(
      `/api/v1/referrals/${referral.id}`,
    );
    expect(detailOfReferral.body.milestone).toBe('won');
    expect(detailOfReferral.body.rewards).toEqual([
      expect.objectContaining({ recipient: 'referrer', status: 'paid', currency: 'USD', amount: 2500 }),
      expect.objectContaining({ recipient: 'referred', status: 'paid', currency: 'USD', amount: 1000 }),
    ]);
    const credit = rewards.find((reward) => reward.recipient === 'referrer');
    const coupon = rewards.find((reward) => reward.recipient === 'referred');
    expect(credit, JSON.stringify(rewards)).toMatchObject({
      status: 'paid',
      fulfilment: 'stripe',
      currency: 'USD',
      amount: 2500,
      memberId: member.id,
    });
    expect(coupon).toMatchObject({ status: 'paid', fulfilment: 'coupon', fulfilmentRef: 'WELCOME-A' });
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ balance: -2500 });
    const transactions = await stripe.customers.listBalanceTransactions(customer.id);
    expect(transactions.data).toHaveLength(1);
    expect(transactions.data[0]).toMatchObject({ amount: -2500, currency: 'usd' });

    const detail = await api.get<Reward>(`/api/v1/rewards/${credit?.id}`);
    expect(detail.body.history?.map((event) => [event.from, event.to])).toEqual([
      [null, 'approved'],
      ['approved', 'paid'],
    ]);
    const balance = await api.get<{ balances: unknown[]; rewards: { data: Reward[] } }>(
      `/api/v1/members/${member.id}/rewards`,
    );
    expect(balance.body.balances).toEqual([{ currency: 'USD', pending: 0, approved: 0, paid: 2500 }]);
    expect(balance.body.rewards.data).toHaveLength(2);

    // The referrer is told twice (earned, then paid), with the amount in words they can read.
    const { email } = (await api.get<{ email: string }>(`/api/v1/members/${member.id}`)).body;
    const told = await eventually(async () => {
      const rows = (
        await testApp.app.ctx.db
          .select({ template: emails.template, text: emails.text })
          .from(emails)
          .where(eq(emails.recipient, email))
      ).filter((row) => row.template.startsWith('reward.'));
      return rows.length >= 2 ? rows : undefined;
    });
    expect(told.map((email) => email.template).sort()).toEqual(['reward.created', 'reward.paid']);
    expect(told.find((email) => email.template === 'reward.paid')?.text).toContain('25.00 USD');
  });

  it('the same webhook delivered 5 times and worked by 3 workers at once rewards each side once', async () => {
    const { customer, referral, deal } = await wonDeal('bo');
    // The webhook arrives 5 times while 3 workers also get the milestone event 5 times each,
    // all at once: they race to issue the same two rewards.
    const job = {
      eventId: 'evt_redelivered',
      workspaceId,
      type: 'referral.milestone_changed' as const,
      subjectId: referral.id,
      payload: { referralId: referral.id, programId, changeId: 'x', from: 'submitted', to: 'won' },
    };
    const context = { app: testApp.app.ctx, jobId: 'j', retryCount: 0, signal: new AbortController().signal };
    await Promise.all([
      ...[1, 2, 3, 4, 5].map(() => webhook(deal.id)),
      ...[0, 1, 2].map(async () => {
        for (let i = 0; i < 5; i++) await rewardIssueSubscriber.handle(job, context);
      }),
    ]);
    const first = await settledRewards(api, referral.id, 2);
    // Each approval redelivered to 3 payout workers at once pays nothing more.
    await Promise.all(
      first.map((reward) =>
        Promise.all(
          [0, 1, 2].map(() =>
            rewardPayoutSubscriber.handle(
              {
                ...job,
                type: 'reward.approved',
                payload: {
                  rewardId: reward.id,
                  programId,
                  referralId: referral.id,
                  memberId: reward.memberId,
                  status: 'approved',
                  reason: null,
                },
              },
              context,
            ),
          ),
        ),
      ),
    );
    const after = await rewardsOf(api, referral.id);
    expect(after.map((reward) => [reward.recipient, reward.status]).sort()).toEqual([
      ['referred', 'paid'],
      ['referrer', 'paid'],
    ]);
    expect((await stripe.customers.listBalanceTransactions(customer.id)).data).toHaveLength(1);
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ balance: -2500 });
  });

  it('an empty coupon pool fails the friend reward with a clear reason and a reward.failed event', async () => {
    await wonDeal('cy').then(async ({ deal, referral }) => {
      await webhook(deal.id);
      const rewards = await settledRewards(api, referral.id, 2);
      expect(rewards.find((reward) => reward.recipient === 'referred')?.status).toBe('paid');
    });
    const { deal, referral } = await wonDeal('dee');
    await webhook(deal.id);
    const rewards = await settledRewards(api, referral.id, 2);
    const coupon = rewards.find((reward) => reward.recipient === 'referred');
    expect(coupon).toMatchObject({ status: 'failed' });
    expect(coupon?.reason).toContain('coupon pool');
    expect(coupon?.reason).toContain('empty');
    const failedEvents = await testApp.app.ctx.db
      .select()
      .from(events)
      .where(and(eq(events.subjectId, coupon?.id ?? ''), eq(events.type, 'reward.failed')));
    expect(failedEvents).toHaveLength(1);
    expect(failedEvents[0]?.payload).toMatchObject({ status: 'failed', reason: coupon?.reason });

    await api.post(`/api/v1/reward-rules/${friendRule}/coupons`, { codes: ['WELCOME-D'] });
    const retried = await api.post<Reward>(`/api/v1/rewards/${coupon?.id}/retry`);
    expect(retried.status).toBe(200);
    const paid = await eventually(async () => {
      const list = await rewardsOf(api, referral.id);
      const again = list.find((reward) => reward.recipient === 'referred');
      return again?.status === 'paid' ? again : undefined;
    });
    expect(paid.fulfilmentRef).toBe('WELCOME-D');
  });
});

describe('Stripe failures', () => {
  it("a revoked Stripe key fails the credit with Stripe's words; a new key and a retry credit once", async () => {
    const account = await stripeAccount(testApp);
    const program = await newProgram(api, {
      memberFields: [{ key: 'stripeCustomerId', label: 'Stripe customer', type: 'text' }],
    });
    const put = (secretKey: string) =>
      api.request('PUT', `/api/v1/programs/${program}/reward-settings`, {
        body: { stripe: { baseUrl: testApp.url, secretKey } },
      });
    await put(account.secretKey);
    await newRule(api, {
      programId: program,
      name: 'Credit',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'fixed', currency: 'EUR', amountMinor: 700 },
      fulfilment: 'stripe',
    });
    const customer = await account.stripe.customers.create({ email: 'revoked@example.com' });
    const member = await newMember(api, { programId: program, email: 'other-address@example.com' });
    const referral = await newReferral(api, {
      programId: program,
      memberId: member.id,
      email: 'x@revoked.example',
    });
    await sandboxAdmin(testApp, `${sandboxPrefixes.stripe}/_admin/accounts/${account.id}/revoke-keys`);
    await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'won' });
    const [failed] = await settledRewards(api, referral.id, 1);
    expect(failed?.status).toBe('failed');
    expect(failed?.reason).toMatch(/^Stripe: .*(expired|revoked)/i);

    const rolled = await sandboxAdmin<{ secretKey: string }>(
      testApp,
      `${sandboxPrefixes.stripe}/_admin/accounts/${account.id}/roll-key`,
    );
    await put(rolled.secretKey);
    const retried = await api.post(`/api/v1/rewards/${failed?.id}/retry`);
    expect(retried.status).toBe(200);
    const [stillFailed] = await settledRewards(api, referral.id, 1);
    // The member's email has no Stripe customer: the reason says how to link one.
    expect(stillFailed?.reason).toContain('no customer has the email other-address@example.com');
    const linked = await api.patch(`/api/v1/members/${member.id}`, {
      customFields: { stripeCustomerId: customer.id },
    });
    expect(linked.status).toBe(200);
    await api.post(`/api/v1/rewards/${failed?.id}/retry`);
    const [paid] = await eventually(async () => {
      const list = await rewardsOf(api, referral.id);
      return list[0]?.status === 'paid' ? list : undefined;
    });
    expect(paid?.fulfilmentRef).toMatch(new RegExp(`^${customer.id}/`));
    const stripe = new Stripe(rolled.secretKey, {
      host: '127.0.0.1',
      port: new URL(testApp.url).port ? Number(new URL(testApp.url).port) : 80,
      protocol: 'http',
    });
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ balance: -700 });
    expect((await stripe.customers.listBalanceTransactions(customer.id)).data).toHaveLength(1);
  });
});

describe('holds', () => {
  it('a late milestone event for a referral denied since rewards nothing', async () => {
    const program = await newProgram(api);
    await newRule(api, {
      programId: program,
      name: 'Qualified bonus',
      milestone: 'qualified',
      recipient: 'both',
      amount: { type: 'fixed', currency: 'EUR', amountMinor: 500 },
    });
    const member = await newMember(api, { programId: program, email: 'late@example.com' });
    const referral = await newReferral(api, {
      programId: program,
      memberId: member.id,
      email: 'a@late.example',
      milestone: 'lost',
    });
    await rewardIssueSubscriber.handle(
      {
        eventId: 'evt_late',
        workspaceId,
        type: 'referral.milestone_changed',
        subjectId: referral.id,
        payload: {
          referralId: referral.id,
          programId: program,
          changeId: 'x',
          from: 'submitted',
          to: 'qualified',
        },
      },
      { app: testApp.app.ctx, jobId: 'j', retryCount: 0, signal: new AbortController().signal },
    );
    expect(await rewardsOf(api, referral.id)).toEqual([]);
  });

  it('a referral denied during the hold cancels its pending reward; a due hold approves', async () => {
    const program = await newProgram(api);
    await newRule(api, {
      programId: program,
      name: 'Qualified bonus',
      milestone: 'qualified',
      recipient: 'referrer',
      amount: { type: 'fixed', currency: 'EUR', amountMinor: 500 },
      holdDays: 14,
    });
    const member = await newMember(api, { programId: program, email: 'hold@example.com' });
    const denied = await newReferral(api, {
      programId: program,
      memberId: member.id,
      email: 'a@hold.example',
    });
    const kept = await newReferral(api, { programId: program, memberId: member.id, email: 'b@hold.example' });
    for (const referral of [denied, kept]) {
      await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'qualified' });
    }
    const pending = await eventually(async () => {
      const list = await rewardsOf(api, denied.id);
      return list[0]?.status === 'pending' ? list[0] : undefined;
    });
    expect(pending.holdUntil).not.toBeNull();
    await eventually(async () => ((await rewardsOf(api, kept.id))[0] ? true : undefined));

    await api.post(`/api/v1/referrals/${denied.id}/milestone`, { milestone: 'lost' });
    const canceled = await eventually(async () => {
      const list = await rewardsOf(api, denied.id);
      return list[0]?.status === 'canceled' ? list[0] : undefined;
    });
    expect(canceled.reason).toContain('denied');

    expect(await releaseDueRewards(testApp.app.ctx, new Date(Date.now() + 15 * 24 * 3600 * 1000))).toBe(1);
    const approved = (await rewardsOf(api, kept.id))[0];
    expect(approved).toMatchObject({ status: 'approved', fulfilment: 'manual' });
    const csv = await api.get<string>(`/api/v1/rewards/export.csv?programId=${program}`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.body).toContain(
      `${approved?.id},${program},${kept.id},${member.id},referrer,hold@example.com`,
    );
    expect(csv.body).toContain('EUR,5.00,500');
    const marked = await api.post<{ data: Reward[] }>('/api/v1/rewards/mark-paid', { ids: [approved?.id] });
    expect(marked.body.data[0]).toMatchObject({ status: 'paid' });
    const again = await api.post('/api/v1/rewards/mark-paid', { ids: [approved?.id] });
    expect(again.status).toBe(409);
  });
});
