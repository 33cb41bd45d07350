import { and, asc, eq, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { getMember } from '../members/service.ts';
import { providerFor } from './fulfilment/registry.ts';
import { moveReward, type RewardRow } from './ledger.ts';
import { settingsOf } from './settings-service.ts';
import { rewards } from './tables.ts';

/**
 * How long a claim holds the reward without news from its attempt. The attempt renews it
 * every `LEASE_RENEW_MS` while the provider works (calls time out after 20 s, a payout makes
 * up to three), so a killed worker or a database restart in the middle of a payout holds the
 * reward for at most this long, not for the longest payout there could be.
 */
export const LEASE_SECONDS = 30;
const LEASE_RENEW_MS = 10_000;
/** Where a claim made or renewed now ends. */
const leaseEnd = () => sql`now() + make_interval(secs => ${LEASE_SECONDS})`;

/**
 * Takes the reward for paying: only an approved reward that no other worker holds. Two
 * workers (or a job run twice) race on this one UPDATE; the loser gets nothing.
 */
async function claim(ctx: AppContext, rewardId: string): Promise<RewardRow | undefined> {
  const [row] = await ctx.db
    .update(rewards)
    .set({
      payoutLeaseUntil: leaseEnd(),
      attempts: sql`${rewards.attempts} + 1`,
    })
    .where(
      and(
        eq(rewards.id, rewardId),
        eq(rewards.status, 'approved'),
        or(isNull(rewards.payoutLeaseUntil), lt(rewards.payoutLeaseUntil, sql`now()`)),
      ),
    )
    .returning();
  return row;
}

/**
 * Why `claim` got nothing: the reward is still approved, so another attempt holds it. That
 * holder may be alive (a duplicate job) or dead (a worker killed, or the database gone, in
 * the middle of a payout, whose lease stays until it expires).
 */
async function stillApproved(ctx: AppContext, rewardId: string): Promise<RewardRow | undefined> {
  const [row] = await ctx.db.select().from(rewards).where(eq(rewards.id, rewardId));
  return row?.status === 'approved' ? row : undefined;
}

async function release(ctx: AppContext, rewardId: string): Promise<void> {
  await ctx.db.update(rewards).set({ payoutLeaseUntil: null }).where(eq(rewards.id, rewardId));
}

/**
 * Keeps the claim alive while the attempt runs. A renewal that fails (the database is away)
 * is only logged: the claim then runs out, and the next attempt pays under the same provider
 * keys, which the provider answers with the payment already made.
 */
function keepClaim(ctx: AppContext, rewardId: string): () => void {
  const timer = setInterval(() => {
    ctx.db
      .update(rewards)
      .set({ payoutLeaseUntil: leaseEnd() })
      .where(and(eq(rewards.id, rewardId), eq(rewards.status, 'approved')))
      .catch((error: unknown) => ctx.logger.warn({ err: error, rewardId }, 'payout lease renewal failed'));
  }, LEASE_RENEW_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Pays one approved reward through its fulfilment. Points are credited at approval. A
 * failure the provider may get past by itself is thrown (the job retries with backoff) until
 * `final`; any other failure, or the last attempt, leaves the reward `failed` with the
 * provider's words, for a person to fix and retry.
 */
export async function payReward(
  ctx: AppContext,
  rewardId: string,
  options: { final: boolean } = { final: true },
): Promise<RewardRow | undefined> {
  const reward = await claim(ctx, rewardId);
  if (!reward) {
    // Completing the job here would leave the reward approved with nothing left to pay it
    // when the holder died: fail the attempt, so the job comes back after its backoff.
    const held = await stillApproved(ctx, rewardId);
    if (held) {
      throw new Error(
        `Reward ${rewardId} is held by another payout attempt until ${held.payoutLeaseUntil?.toISOString() ?? 'now'}; trying again later`,
      );
    }
    return undefined;
  }
  const letGo = keepClaim(ctx, reward.id);
  try {
    if (reward.currency === null) {
      return await settle(ctx, reward, { outcome: 'paid', ref: 'points' });
    }
    const member = reward.memberId ? await getMember(ctx.db, reward.workspaceId, reward.memberId) : undefined;
    const settings = await settingsOf(ctx.db, reward.programId);
    const result = await providerFor(reward.fulfilment).pay({ ctx, reward, settings, member });
    if (result.outcome === 'waiting') {
      await release(ctx, reward.id);
      return reward;
    }
    if (result.outcome === 'failed' && result.retryable && !options.final) {
      await release(ctx, reward.id);
      throw new Error(result.reason);
    }
    return await settle(ctx, reward, result);
  } catch (error) {
    await release(ctx, reward.id).catch((releaseError: unknown) =>
      // The claim runs out by itself within LEASE_SECONDS.
      ctx.logger.warn({ err: releaseError, rewardId: reward.id }, 'payout lease release failed'),
    );
    throw error;
  } finally {
    letGo();
  }
}

async function settle(
  ctx: AppContext,
  reward: RewardRow,
  result: { outcome: 'paid'; ref: string } | { outcome: 'failed'; reason: string },
): Promise<RewardRow> {
  return ctx.db.transaction(async (tx) => {
    const patch = { payoutLeaseUntil: null };
    if (result.outcome === 'paid') {
      return moveReward(
        tx,
        ctx.queue,
        reward,
        'paid',
        { actor: `system:${reward.fulfilment}`, reason: null },
        {
          ...patch,
          fulfilmentRef: result.ref,
        },
      );
    }
    return moveReward(
      tx,
      ctx.queue,
      reward,
      'failed',
      { actor: `system:${reward.fulfilment}`, reason: result.reason },
      patch,
    );
  });
}

/** An approved reward no payout has moved for this long is taken up again (see below). */
export const STALLED_PAYOUT_SECONDS = 15 * 60;

/**
 * Pays approved rewards that nothing is paying any more: their payout job ran out of attempts
 * while a dead attempt still held the reward, or was lost with it. Workers call this every
 * minute with the hold releaser; a reward it cannot pay yet stays approved and is tried again
 * at the next round. Answers how many it paid.
 */
export async function resumeStalledPayouts(ctx: AppContext, now = new Date(), batch = 20): Promise<number> {
  const stalled = await ctx.db
    .select({ id: rewards.id })
    .from(rewards)
    .where(
      and(
        eq(rewards.status, 'approved'),
        // Approved rewards paid by hand wait for a person; points are credited by the payout.
        or(ne(rewards.fulfilment, 'manual'), isNull(rewards.currency)),
        lt(rewards.updatedAt, new Date(now.getTime() - STALLED_PAYOUT_SECONDS * 1000)),
        or(isNull(rewards.payoutLeaseUntil), lt(rewards.payoutLeaseUntil, now)),
      ),
    )
    .orderBy(asc(rewards.updatedAt))
    .limit(batch);
  let paid = 0;
  for (const { id } of stalled) {
    try {
      const row = await payReward(ctx, id, { final: false });
      if (row?.status === 'paid') paid += 1;
    } catch (error) {
      ctx.logger.warn({ err: error, rewardId: id }, 'stalled payout: not paid yet, tried again in a minute');
    }
  }
  return paid;
}
