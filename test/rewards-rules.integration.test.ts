import { eq } from 'drizzle-orm';
import { Configuration, OrdersApi } from 'tremendous';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewards } from '../src/db/schema.ts';
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
} from './helpers/rewards.ts';

/** Tremendous payouts, percentage amounts, limits, fraud guards and workspace isolation. */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  testApp = await startRewardsApp();
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
});
afterAll(() => testApp.close());

const won = (referralId: string) =>
  api.post(`/api/v1/referrals/${referralId}/milestone`, { milestone: 'won' });

async function statusOf(rewardId: string, wanted: string): Promise<Reward> {
  return eventually(async () => {
    const response = await api.get<Reward>(`/api/v1/rewards/${rewardId}`);
    return response.body.status === wanted ? response.body : undefined;
  });
}

describe('Tremendous', () => {
  it('insufficient funds fail the reward with Tremendous words; funded and retried, it is paid with one order', async () => {
    const organization = await sandboxAdmin<{ id: string; apiKey: string; basePath: string }>(
      testApp,
      `${sandboxPrefixes.tremendous}/_admin/organizations`,
      { balance: 10 },
    );
    const programId = await newProgram(api);
    const settings = await api.request('PUT', `/api/v1/programs/${programId}/reward-settings`, {
      body: {
        tremendous: {
          baseUrl: organization.basePath,
          apiKey: organization.apiKey,
          productId: 'OKMHM2X2OHYV',
        },
      },
    });
    expect(settings.status, JSON.stringify(settings.body)).toBe(200);
    expect(JSON.stringify(settings.body)).not.toContain(organization.apiKey);
    await newRule(api, {
      programId,
      name: 'Gift card',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'fixed', currency: 'USD', amountMinor: 2500 },
      fulfilment: 'tremendous',
    });
    const member = await newMember(api, { programId, email: 'tia@example.com', firstName: 'Tia' });
    const referral = await newReferral(api, { programId, memberId: member.id, email: 'pal@example.org' });
    await won(referral.id);
    const [failed] = await settledRewards(api, referral.id, 1);
    expect(failed).toMatchObject({
      status: 'failed',
      reason: 'Tremendous (402): Insufficient funds to place this order',
    });

    await sandboxAdmin(
      testApp,
      `${sandboxPrefixes.tremendous}/_admin/organizations/${organization.id}/funding`,
      {
        amount: 100,
      },
    );
    const retries = await Promise.all([1, 2, 3].map(() => api.post(`/api/v1/rewards/${failed?.id}/retry`)));
    expect(retries.map((response) => response.status).sort()).toEqual([200, 409, 409]);
    const paid = await statusOf(failed?.id ?? '', 'paid');
    const orders = new OrdersApi(
      new Configuration({ basePath: organization.basePath, accessToken: organization.apiKey }),
    );
    const placed = await orders.listOrders(undefined, undefined, failed?.id);
    expect(placed.data.total_count).toBe(1);
    expect(paid.fulfilmentRef).toBe(placed.data.orders[0]?.id);
    expect(paid.history?.map((event) => event.to)).toEqual(['approved', 'failed', 'approved', 'paid']);

    // A revoked key fails the next reward with Tremendous's words; a new key and a retry pay it.
    await sandboxAdmin(
      testApp,
      `${sandboxPrefixes.tremendous}/_admin/organizations/${organization.id}/revoke-keys`,
    );
    const second = await newReferral(api, { programId, memberId: member.id, email: 'pal2@example.org' });
    await won(second.id);
    const [revoked] = await settledRewards(api, second.id, 1);
    expect(revoked?.status).toBe('failed');
    expect(revoked?.reason).toMatch(/^Tremendous \(401\): /);
    const rolled = await sandboxAdmin<{ apiKey: string }>(
      testApp,
      `${sandboxPrefixes.tremendous}/_admin/organizations/${organization.id}/roll-key`,
    );
    await api.request('PUT', `/api/v1/programs/${programId}/reward-settings`, {
      body: {
        tremendous: { baseUrl: organization.basePath, apiKey: rolled.apiKey, productId: 'OKMHM2X2OHYV' },
      },
    });
    await api.post(`/api/v1/rewards/${revoked?.id}/retry`);
    await statusOf(revoked?.id ?? '', 'paid');
  });

  it('refuses payout base URLs other than the real services and the embedded sandboxes', async () => {
    const programId = await newProgram(api);
    const refused = await api.request('PUT', `/api/v1/programs/${programId}/reward-settings`, {
      body: { stripe: { baseUrl: 'https://evil.example.com', secretKey: 'sk_test_0123456789' } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'validation_failed' } });
    expect(JSON.stringify(refused.body)).toContain('stripe.baseUrl: must be one of https://api.stripe.com');
    const saved = await api.get(`/api/v1/programs/${programId}/reward-settings`);
    expect(saved.body).toMatchObject({ stripe: null, tremendous: null });
  });
});

describe('amounts and limits', () => {
  it('pays a percentage of the deal amount the sales receiver wrote from HubSpot', async () => {
    const hs = await SandboxHubspot.createPortal(testApp);
    const connectionId = await hs.connect(api);
    const programId = await newProgram(api, {
      referralFields: [{ key: 'dealAmount', label: 'Deal amount', type: 'number' }],
    });
    await newReceiverSettings(api, {
      programId,
      connectionId,
      statusTriggers: [{ object: 'deal', field: 'dealstage', value: 'closedwon', milestone: 'won' }],
      fieldUpdates: [{ object: 'deals', field: 'amount', target: 'referral.custom.dealAmount' }],
    });
    await newRule(api, {
      programId,
      name: '10% of the deal',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'percentage', currency: 'USD', percent: 10, field: 'referral.custom.dealAmount' },
    });
    const member = await newMember(api, { programId, email: 'pct@example.com' });
    const referral = await newReferral(api, { programId, memberId: member.id, email: 'buyer@pct.example' });
    const base = SandboxHubspot.baseUrl(testApp);
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as { id: string };
    };
    const contact = await call('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'buyer@pct.example' },
    });
    const deal = await call('POST', '/crm/v3/objects/deals', {
      properties: { dealname: 'Big', pipeline: 'default', dealstage: 'closedwon', amount: '12345.67' },
    });
    await call('PUT', `/crm/v4/objects/deals/${deal.id}/associations/default/contacts/${contact.id}`);
    await feed(testApp, workspaceId, {
      source: 'hubspot_webhook',
      connectionId,
      objectType: 'deals',
      recordId: deal.id,
      fields: { dealstage: 'closedwon' },
      occurredAt: new Date(),
    });
    const [reward] = await eventually(async () => {
      const list = await rewardsOf(api, referral.id);
      return list.length === 1 ? list : undefined;
    }, 20_000);
    expect(reward).toMatchObject({
      currency: 'USD',
      amount: 123457,
      status: 'approved',
      fulfilment: 'manual',
    });
  });

  it("rewards only a member's first N referrals and caps a calendar month", async () => {
    const programId = await newProgram(api);
    await newRule(api, {
      programId,
      name: 'First two',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'points', points: 100 },
      firstReferrals: 2,
    });
    await newRule(api, {
      programId,
      name: 'Capped cash',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'fixed', currency: 'USD', amountMinor: 4000 },
      monthlyCap: 10000,
    });
    const member = await newMember(api, { programId, email: 'cap@example.com' });
    const referrals = [];
    for (let i = 0; i < 4; i++) {
      const referral = await newReferral(api, { programId, memberId: member.id, email: `f${i}@cap.example` });
      referrals.push(referral);
      await won(referral.id);
      await eventually(async () => ((await rewardsOf(api, referral.id)).length === 2 ? true : undefined));
    }
    const all = (await Promise.all(referrals.map((referral) => rewardsOf(api, referral.id)))).flat();
    const points = all.filter((reward) => reward.currency === null);
    const cash = all.filter((reward) => reward.currency === 'USD');
    expect(points.map((reward) => reward.status)).toEqual(['paid', 'paid', 'canceled', 'canceled']);
    expect(points[2]?.reason).toBe("limit: only the member's first 2 referrals are rewarded");
    expect(cash.map((reward) => [reward.amount, reward.status])).toEqual([
      [4000, 'approved'],
      [4000, 'approved'],
      [2000, 'approved'],
      [4000, 'canceled'],
    ]);
    expect(cash[2]?.reason).toContain('reduced to what the monthly cap of 10000 leaves');
    expect(cash[3]?.reason).toBe('limit: the monthly cap of 10000 is reached');
    const balance = await api.get<{ balances: unknown[] }>(`/api/v1/members/${member.id}/rewards`);
    expect(balance.body.balances).toEqual(
      expect.arrayContaining([
        { currency: null, pending: 0, approved: 0, paid: 200 },
        { currency: 'USD', pending: 0, approved: 10000, paid: 0 },
      ]),
    );
  });
});

describe('fraud guards', () => {
  it('holds a self-referral, and one from the referrer’s domain when the program asks, for manual approval', async () => {
    const programId = await newProgram(api);
    await api.request('PUT', `/api/v1/programs/${programId}/reward-settings`, {
      body: { sameDomainGuard: true },
    });
    await newRule(api, {
      programId,
      name: 'Cash',
      milestone: 'won',
      recipient: 'both',
      amount: { type: 'fixed', currency: 'USD', amountMinor: 1000 },
    });
    const member = await newMember(api, { programId, email: 'Sam@Acme.example' });
    const self = await newReferral(api, { programId, memberId: member.id, email: 'sam@acme.example' });
    const colleague = await newReferral(api, { programId, memberId: member.id, email: 'kim@acme.example' });
    const stranger = await newReferral(api, { programId, memberId: member.id, email: 'lee@other.example' });
    for (const referral of [self, colleague, stranger]) await won(referral.id);
    const held = await eventually(async () => {
      const list = await rewardsOf(api, self.id);
      return list.length === 2 ? list : undefined;
    });
    expect(held.map((reward) => [reward.status, reward.needsManualApproval])).toEqual([
      ['pending', true],
      ['pending', true],
    ]);
    expect(held[0]?.reason).toBe(
      "needs manual approval: the referral's email sam@acme.example is the referrer's own",
    );
    const domain = await eventually(async () => {
      const list = await rewardsOf(api, colleague.id);
      return list.length === 2 ? list : undefined;
    });
    expect(domain[0]?.reason).toBe(
      "needs manual approval: the referral's email shares the referrer's domain acme.example",
    );
    const clean = await eventually(async () => {
      const list = await rewardsOf(api, stranger.id);
      return list.length === 2 ? list : undefined;
    });
    expect(clean.map((reward) => reward.status)).toEqual(['approved', 'approved']);

    const approved = await api.post<Reward>(`/api/v1/rewards/${domain[0]?.id}/approve`, {
      reason: 'checked: real customer',
    });
    expect(approved.body).toMatchObject({
      status: 'approved',
      needsManualApproval: false,
      reason: 'checked: real customer',
    });
    const canceled = await api.post<Reward>(`/api/v1/rewards/${held[0]?.id}/cancel`, {
      reason: 'self-referral',
    });
    expect(canceled.body).toMatchObject({ status: 'canceled', reason: 'self-referral' });
    const noReason = await api.post(`/api/v1/rewards/${held[1]?.id}/cancel`, {});
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('reason');
  });
});

describe('cancel', () => {
  it('refuses to cancel a reward while its payout is running', async () => {
    const programId = await newProgram(api);
    await newRule(api, {
      programId,
      name: 'Cash',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'fixed', currency: 'USD', amountMinor: 300 },
    });
    const member = await newMember(api, { programId, email: 'lease@example.com' });
    const referral = await newReferral(api, { programId, memberId: member.id, email: 'f@lease.example' });
    await won(referral.id);
    const [reward] = await eventually(async () => {
      const list = await rewardsOf(api, referral.id);
      return list[0]?.status === 'approved' ? list : undefined;
    });
    const id = reward?.id ?? '';
    // Its payout job (manual: it waits for a person) has run and let go of the reward, so
    // it cannot clear the hold set below.
    await eventually(async () => {
      const [row] = await testApp.app.ctx.db.select().from(rewards).where(eq(rewards.id, id));
      return row && row.attempts >= 1 && row.payoutLeaseUntil === null ? row : undefined;
    });
    await testApp.app.ctx.db
      .update(rewards)
      .set({ payoutLeaseUntil: new Date(Date.now() + 60_000) })
      .where(eq(rewards.id, id));
    const refused = await api.post(`/api/v1/rewards/${id}/cancel`, { reason: 'changed my mind' });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain('being paid right now');
    await testApp.app.ctx.db.update(rewards).set({ payoutLeaseUntil: null }).where(eq(rewards.id, id));
    const canceled = await api.post<Reward>(`/api/v1/rewards/${id}/cancel`, { reason: 'changed my mind' });
    expect(canceled.body).toMatchObject({ status: 'canceled', reason: 'changed my mind' });
    const detail = await api.get<Reward>(`/api/v1/rewards/${id}`);
    expect(detail.body.history?.at(-1)).toMatchObject({
      from: 'approved',
      to: 'canceled',
      reason: 'changed my mind',
    });
  });
});

describe('isolation', () => {
  it("answers 404 for another workspace's rules, rewards, settings and balances", async () => {
    const programId = await newProgram(api);
    const rule = await newRule(api, {
      programId,
      name: 'Mine',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'fixed', currency: 'USD', amountMinor: 100 },
    });
    const member = await newMember(api, { programId, email: 'mine@example.com' });
    const referral = await newReferral(api, { programId, memberId: member.id, email: 'theirs@example.com' });
    await won(referral.id);
    const [reward] = await eventually(async () => {
      const list = await rewardsOf(api, referral.id);
      return list.length === 1 ? list : undefined;
    });
    expect(reward).toBeDefined();
    const other = (await testApp.newWorkspace('Other')).api;
    for (const path of [
      `/api/v1/reward-rules/${rule.id}`,
      `/api/v1/rewards/${reward?.id}`,
      `/api/v1/programs/${programId}/reward-settings`,
      `/api/v1/members/${member.id}/rewards`,
      `/api/v1/referrals/${referral.id}/rewards`,
    ]) {
      expect((await other.get(path)).status, path).toBe(404);
    }
    expect((await other.post(`/api/v1/rewards/${reward?.id}/approve`, {})).status).toBe(404);
    expect((await other.post('/api/v1/rewards/mark-paid', { ids: [reward?.id] })).status).toBe(404);
    expect((await other.post(`/api/v1/reward-rules/${rule.id}/coupons`, { codes: ['X'] })).status).toBe(404);
    const list = await other.get<{ data: unknown[] }>(`/api/v1/rewards?programId=${programId}`);
    expect(list.body.data).toEqual([]);
  });
});
