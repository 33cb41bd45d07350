import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewards } from '../src/db/schema.ts';
import {
  LEASE_SECONDS,
  payReward,
  resumeStalledPayouts,
  STALLED_PAYOUT_SECONDS,
} from '../src/rewards/payout.ts';
import { sandboxPrefixes } from '../src/sandbox/index.ts';
import { type ApiClient, eventually, type TestApp } from './helpers/app.ts';
import { newProgram, newReferral } from './helpers/receiver.ts';
import {
  newMember,
  newRule,
  type Reward,
  rewardsOf,
  sandboxAdmin,
  startRewardsApp,
  stripeAccount,
} from './helpers/rewards.ts';

/**
 * A payout attempt that dies in the middle (a worker killed, the database restarted) keeps
 * the reward leased until the lease runs out. Found by the fault harness: the job's next
 * attempt met the lease, counted the reward as someone else's and completed, so the reward
 * stayed `approved` and was never paid.
 */

let testApp: TestApp;
let api: ApiClient;
let stripe: Stripe;
let programId: string;
let stripeAccountId: string;

beforeAll(async () => {
  testApp = await startRewardsApp();
  api = (await testApp.newWorkspace()).api;
  programId = await newProgram(api);
  const account = await stripeAccount(testApp);
  stripe = account.stripe;
  stripeAccountId = account.id;
  const settings = await api.request('PUT', `/api/v1/programs/${programId}/reward-settings`, {
    body: { stripe: { baseUrl: testApp.url, secretKey: account.secretKey } },
  });
  expect(settings.status).toBe(200);
  await newRule(api, {
    programId,
    name: 'Credit, checked by a person',
    milestone: 'won',
    recipient: 'referrer',
    amount: { type: 'fixed', currency: 'USD', amountMinor: 700 },
    fulfilment: 'stripe',
    approval: 'manual',
  });
});
afterAll(() => testApp.close());

/** A referrer with a Stripe customer, and their referral won: one Stripe reward waiting for a person. */
async function waitingReward(tag: string): Promise<{ reward: Reward; customer: string }> {
  const email = `${tag}@payout.example`;
  const customer = await stripe.customers.create({ email });
  const member = await newMember(api, { programId, email });
  const referral = await newReferral(api, { programId, memberId: member.id, email: `friend.${email}` });
  const moved = await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'won' });
  expect(moved.status).toBe(200);
  const [reward] = await eventually(async () => {
    const list = await rewardsOf(api, referral.id);
    return list.length === 1 ? list : undefined;
  });
  if (!reward) throw new Error('no reward');
  expect(reward).toMatchObject({ status: 'pending', needsManualApproval: true });
  return { reward, customer: customer.id };
}

async function credits(customer: string) {
  const list = await stripe.customers.listBalanceTransactions(customer, { limit: 100 });
  return list.data.map((transaction) => ({
    amount: transaction.amount,
    reward: transaction.metadata?.refsync_reward_id,
  }));
}

/** The credit refsync makes for a reward, made here as an attempt that died would have. */
function creditAsRefsyncDoes(reward: Reward, customer: string, idempotencyKey: string) {
  return stripe.customers.createBalanceTransaction(
    customer,
    {
      amount: -700,
      currency: 'usd',
      description: `Referral reward ${reward.id}`,
      metadata: { refsync_reward_id: reward.id, refsync_referral_id: reward.referralId },
    },
    { idempotencyKey },
  );
}

/** The reward once the API says it is paid. */
function paidReward(id: string, timeoutMs: number): Promise<Reward> {
  return eventually(async () => {
    const detail = await api.get<Reward>(`/api/v1/rewards/${id}`);
    return detail.body.status === 'paid' ? detail.body : undefined;
  }, timeoutMs);
}

describe('a payout attempt that died holding the reward', () => {
  it('is taken up again by its job once the lease runs out, and credits the customer once', {
    timeout: 60_000,
  }, async () => {
    const { reward, customer } = await waitingReward('died');
    // The attempt that died had claimed the reward and credited the customer, under the key
    // every attempt for this reward and customer uses; the ledger never heard of it.
    await testApp.app.ctx.db
      .update(rewards)
      .set({ payoutLeaseUntil: new Date(Date.now() + 4000), attempts: 1 })
      .where(eq(rewards.id, reward.id));
    await creditAsRefsyncDoes(reward, customer, `refsync-reward-${reward.id}-${customer}`);
    const approved = await api.post(`/api/v1/rewards/${reward.id}/approve`, { reason: 'checked' });
    expect(approved.status).toBe(200);
    const paid = await paidReward(reward.id, 40_000);
    expect(paid.fulfilmentRef).toMatch(new RegExp(`^${customer}/cbtxn_`));
    expect(await credits(customer)).toEqual([{ amount: -700, reward: reward.id }]);
  });

  it('keeps its hold while a slow provider works, and lets it go within the lease once it stops', {
    timeout: 60_000,
  }, async () => {
    const { reward, customer } = await waitingReward('slow');
    const leaseOf = async () => {
      const [row] = await testApp.app.ctx.db.select().from(rewards).where(eq(rewards.id, reward.id));
      return row?.payoutLeaseUntil ?? undefined;
    };
    // Every Stripe call takes 7 s: the customer look-up and the credit, 14 s in all, longer
    // than the first renewal.
    const faults = `${sandboxPrefixes.stripe}/_admin/accounts/${stripeAccountId}/faults`;
    await sandboxAdmin(testApp, faults, { latencyMs: 7000 }, 'PUT');
    try {
      const approved = await api.post(`/api/v1/rewards/${reward.id}/approve`, { reason: 'checked' });
      expect(approved.status).toBe(200);
      const claimed = await eventually(leaseOf, 10_000);
      // A claim holds the reward for the lease, not for the longest payout there could be.
      expect(claimed.getTime() - Date.now()).toBeLessThanOrEqual(LEASE_SECONDS * 1000);
      const renewed = await eventually(async () => {
        const lease = await leaseOf();
        return lease && lease.getTime() > claimed.getTime() + 5000 ? lease : undefined;
      }, 20_000);
      expect(renewed.getTime()).toBeGreaterThan(claimed.getTime());
      // Meanwhile another attempt finds the reward held and tries again later.
      await expect(payReward(testApp.app.ctx, reward.id, { final: false })).rejects.toThrow(
        /held by another payout attempt/,
      );
    } finally {
      await sandboxAdmin(testApp, faults, {}, 'DELETE');
    }
    const paid = await paidReward(reward.id, 30_000);
    expect(paid.fulfilmentRef).toMatch(new RegExp(`^${customer}/cbtxn_`));
    expect(await credits(customer)).toEqual([{ amount: -700, reward: reward.id }]);
    expect(await leaseOf()).toBeUndefined();
  });

  it('finds the credit an earlier attempt made once Stripe has forgotten its key, and credits once', {
    timeout: 60_000,
  }, async () => {
    const { reward, customer } = await waitingReward('forgotten');
    // An attempt days ago credited the customer and lost the answer; Stripe keeps an
    // idempotency key 24 hours, so the key it used no longer protects the retry.
    await testApp.app.ctx.db.update(rewards).set({ attempts: 1 }).where(eq(rewards.id, reward.id));
    const made = await creditAsRefsyncDoes(reward, customer, `expired-key-${reward.id}`);
    const approved = await api.post(`/api/v1/rewards/${reward.id}/approve`, { reason: 'checked' });
    expect(approved.status).toBe(200);
    const paid = await paidReward(reward.id, 30_000);
    expect(paid.fulfilmentRef).toBe(`${customer}/${made.id}`);
    expect(await credits(customer)).toEqual([{ amount: -700, reward: reward.id }]);
  });

  it('is paid by the workers’ sweep when no job is left to pay it', async () => {
    const { reward, customer } = await waitingReward('stalled');
    // Approved long ago, its payout job spent, a dead attempt's lease run out.
    const longAgo = new Date(Date.now() - (STALLED_PAYOUT_SECONDS + 60) * 1000);
    await testApp.app.ctx.db
      .update(rewards)
      .set({
        status: 'approved',
        needsManualApproval: false,
        updatedAt: longAgo,
        payoutLeaseUntil: new Date(Date.now() - 60_000),
        attempts: 7,
      })
      .where(eq(rewards.id, reward.id));
    expect(await resumeStalledPayouts(testApp.app.ctx)).toBe(1);
    const detail = await api.get<Reward>(`/api/v1/rewards/${reward.id}`);
    expect(detail.body).toMatchObject({ status: 'paid', fulfilment: 'stripe' });
    expect(await credits(customer)).toEqual([{ amount: -700, reward: reward.id }]);
    expect(await resumeStalledPayouts(testApp.app.ctx)).toBe(0);
  });

  it('leaves alone approved rewards that a person pays by hand', async () => {
    const programOfHand = await newProgram(api);
    await newRule(api, {
      programId: programOfHand,
      name: 'Paid by hand',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'fixed', currency: 'USD', amountMinor: 100 },
    });
    const member = await newMember(api, { programId: programOfHand, email: 'hand@payout.example' });
    const referral = await newReferral(api, {
      programId: programOfHand,
      memberId: member.id,
      email: 'f@hand.example',
    });
    await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'won' });
    const [byHand] = await eventually(async () => {
      const list = await rewardsOf(api, referral.id);
      return list[0]?.status === 'approved' ? list : undefined;
    });
    await testApp.app.ctx.db
      .update(rewards)
      .set({ updatedAt: new Date(Date.now() - (STALLED_PAYOUT_SECONDS + 60) * 1000) })
      .where(eq(rewards.id, byHand?.id ?? ''));
    expect(await resumeStalledPayouts(testApp.app.ctx)).toBe(0);
    expect((await api.get<Reward>(`/api/v1/rewards/${byHand?.id}`)).body.status).toBe('approved');
  });
});
