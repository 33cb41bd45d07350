/**
 * Rewards under load, on embedded PGlite and on PostgreSQL (BENCH_DATABASE_URL, default the
 * local server). Each referral is won BENCH_DUPLICATES times at once (the milestone change
 * the sales receiver makes, called concurrently), its milestone event reaches the rewards
 * queue BENCH_DUPLICATES times, and each reward's approval reaches the payout queue as many
 * times, so workers race on the same referral and reward. A rule pays the referrer a Stripe credit (the
 * embedded Stripe sandbox) and another gives the friend a coupon code. Printed: rewards
 * issued and paid per second (from the first delivery to the last payment), and duplicate
 * payments: ledger rows beyond one per referral, rule and recipient, Stripe balance
 * transactions beyond one per customer, coupon codes beyond one per reward. It must be 0.
 *
 *   npm run bench:rewards
 *   BENCH_REFERRALS=500 BENCH_DUPLICATES=5 BENCH_BACKENDS=pglite npm run bench:rewards
 */
import { eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { couponCodes, rewards } from '../src/db/schema.ts';
import { createMember } from '../src/members/service.ts';
import { changeMilestone, createReferral } from '../src/referrals/service.ts';
import { sandboxPlugins, sandboxPrefixes } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { startBenchApp } from './support.ts';

const total = Number(process.env.BENCH_REFERRALS ?? 200);
const duplicates = Number(process.env.BENCH_DUPLICATES ?? 5);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Result {
  backend: string;
  issuedPerSecond: number;
  paidPerSecond: number;
  duplicatePayments: number;
}

async function measure(backend: 'pglite' | 'postgres'): Promise<Result> {
  const bench = await startBenchApp('rewards', backend === 'postgres' ? postgresUrl : undefined, {
    plugins: sandboxPlugins(memorySandboxStore()),
    env: { REFSYNC_SANDBOX: '1' },
  });
  const { app, base, headers, post, workspaceId } = bench;
  app.ctx.config.publicUrl = base;
  const account = await fetch(`${base}${sandboxPrefixes.stripe}/_admin/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  }).then((response) => response.json() as Promise<{ secretKey: string; port: number }>);
  const stripe = new Stripe(account.secretKey, { host: '127.0.0.1', port: account.port, protocol: 'http' });

  const program = await post('/api/v1/programs', { name: 'Bench' });
  await post('/api/v1/receiver-settings', {
    programId: program.id,
    connectionId: null,
    statusTriggers: [{ object: 'order', field: 'stage', value: 'Won', milestone: 'won' }],
    targetMatch: [{ object: 'order', field: 'refsyncId', matchOn: 'referralId' }],
    fuzzyMatch: false,
  });
  await fetch(`${base}/api/v1/programs/${program.id}/reward-settings`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ stripe: { baseUrl: base, secretKey: account.secretKey } }),
  });
  const amount = { type: 'fixed', currency: 'USD', amountMinor: 500 };
  await post('/api/v1/reward-rules', {
    programId: program.id,
    name: 'Credit',
    milestone: 'won',
    recipient: 'referrer',
    amount,
    fulfilment: 'stripe',
  });
  const coupon = await post('/api/v1/reward-rules', {
    programId: program.id,
    name: 'Coupon',
    milestone: 'won',
    recipient: 'referred',
    amount,
    fulfilment: 'coupon',
  });
  await post(`/api/v1/reward-rules/${coupon.id}/coupons`, {
    codes: Array.from({ length: total }, (_, i) => `CODE-${i}`),
  });

  const referralIds: string[] = [];
  const customers: string[] = [];
  for (let i = 0; i < total; i++) {
    const customer = await stripe.customers.create({ email: `member${i}@bench.example` });
    customers.push(customer.id);
    const { member } = await createMember(app.ctx.db, app.ctx.queue, workspaceId, {
      programId: program.id,
      email: `member${i}@bench.example`,
      customFields: {},
    });
    const { referral } = await createReferral(
      app.ctx.db,
      app.ctx.queue,
      workspaceId,
      { programId: program.id, memberId: member.id, email: `friend${i}@bench.example` },
      { actor: 'system' },
    );
    referralIds.push(referral.id);
  }

  // Every referral is won by `duplicates` concurrent deliveries (one moves it, the others find
  // it already won), and its milestone event reaches the rewards queue `duplicates` times.
  const deliveries = referralIds.flatMap((id) => Array.from({ length: duplicates }, () => id));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) {
        const referralId = deliveries[next++];
        if (!referralId) break;
        await changeMilestone(app.ctx.db, app.ctx.queue, workspaceId, referralId, {
          milestone: 'won',
          overrideDenied: false,
          actor: 'system',
        });
      }
    }),
  );
  await app.ctx.db.transaction(async (tx) => {
    for (const referralId of referralIds) {
      for (let d = 1; d < duplicates; d++) {
        await app.ctx.queue.emit(tx, {
          workspaceId,
          type: 'referral.milestone_changed',
          subjectId: referralId,
          payload: { referralId, programId: program.id, changeId: `dup-${d}`, from: 'submitted', to: 'won' },
        });
      }
    }
  });
  const count = async (status?: 'paid') => {
    const [row] = await app.ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(rewards)
      .where(
        status
          ? sql`${rewards.workspaceId} = ${workspaceId} and ${rewards.status} = ${status}`
          : eq(rewards.workspaceId, workspaceId),
      );
    return Number(row?.n ?? 0);
  };
  while ((await count()) < 2 * total) await new Promise((resolve) => setTimeout(resolve, 50));
  const issuedSeconds = (performance.now() - started) / 1000;
  const issued = await app.ctx.db.select().from(rewards).where(eq(rewards.workspaceId, workspaceId));
  await app.ctx.db.transaction(async (tx) => {
    for (const reward of issued.flatMap((row) => Array.from({ length: duplicates - 1 }, () => row))) {
      await app.ctx.queue.emit(tx, {
        workspaceId,
        type: 'reward.approved',
        subjectId: reward.id,
        payload: {
          rewardId: reward.id,
          programId: reward.programId,
          referralId: reward.referralId,
          memberId: reward.memberId,
          status: 'approved',
          reason: null,
        },
      });
    }
  });
  while ((await count('paid')) < 2 * total) await new Promise((resolve) => setTimeout(resolve, 50));
  const paidSeconds = (performance.now() - started) / 1000;

  const [ledger] = await app.ctx.db
    .select({ extra: sql<number>`(count(*) - count(distinct (referral_id, rule_id, recipient)))::int` })
    .from(rewards)
    .where(eq(rewards.workspaceId, workspaceId));
  const [codes] = await app.ctx.db
    .select({ extra: sql<number>`(count(reward_id) - count(distinct reward_id))::int` })
    .from(couponCodes)
    .where(eq(couponCodes.workspaceId, workspaceId));
  let stripeExtra = 0;
  for (const customer of customers) {
    const list = await stripe.customers.listBalanceTransactions(customer, { limit: 10 });
    stripeExtra += Math.max(0, list.data.length - 1);
  }
  await bench.close();
  return {
    backend,
    issuedPerSecond: (2 * total) / issuedSeconds,
    paidPerSecond: (2 * total) / paidSeconds,
    duplicatePayments: Number(ledger?.extra ?? 0) + Number(codes?.extra ?? 0) + stripeExtra,
  };
}

const backends = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
console.log(
  `rewards: ${total} referrals won per backend (a Stripe credit and a coupon each), every delivery ${duplicates}x, ${concurrency} concurrent clients`,
);
for (const backend of backends) {
  const result = await measure(backend);
  console.log(
    `${result.backend.padEnd(9)} issued ${result.issuedPerSecond.toFixed(0).padStart(5)}/s   ` +
      `paid ${result.paidPerSecond.toFixed(0).padStart(5)}/s   duplicate payments ${result.duplicatePayments}`,
  );
}
