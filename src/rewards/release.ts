import { and, asc, eq, lte } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { getProgram } from '../programs/service.ts';
import { milestoneKindOf } from '../referrals/milestone-rules.ts';
import { getReferral } from '../referrals/service.ts';
import { moveReward } from './ledger.ts';
import { resumeStalledPayouts } from './payout.ts';
import { rewards } from './tables.ts';

/**
 * Approves automatic rewards whose hold has passed, unless their referral was denied
 * meanwhile (then they are canceled). Rows are taken with SKIP LOCKED, so workers of several
 * processes share the work. Answers how many rewards it moved.
 */
export async function releaseDueRewards(
  ctx: AppContext,
  now: Date = new Date(),
  batch = 100,
): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(rewards)
      .where(
        and(
          eq(rewards.status, 'pending'),
          eq(rewards.needsManualApproval, false),
          lte(rewards.holdUntil, now),
        ),
      )
      .orderBy(asc(rewards.holdUntil))
      .limit(batch)
      .for('update', { skipLocked: true });
    for (const reward of due) {
      const referral = await getReferral(tx, reward.workspaceId, reward.referralId);
      const program = await getProgram(tx, reward.workspaceId, referral.programId);
      if (milestoneKindOf(program.milestones, referral.milestone) === 'denied') {
        await moveReward(tx, ctx.queue, reward, 'canceled', {
          actor: 'system:hold',
          reason: `the referral was denied (${referral.milestone}) during the hold`,
        });
      } else {
        await moveReward(tx, ctx.queue, reward, 'approved', { actor: 'system:hold', reason: null });
      }
    }
    return due.length;
  });
}

const timers = new WeakMap<AppContext, NodeJS.Timeout>();

/**
 * Worker processes look for due holds every minute (holds are counted in days), and for
 * approved rewards whose payout stalled.
 */
export function startHoldReleaser(ctx: AppContext, everyMs = 60_000): void {
  if (timers.has(ctx)) return;
  const timer = setInterval(() => {
    releaseDueRewards(ctx).catch((error: unknown) =>
      ctx.logger.warn({ err: error }, 'reward hold release failed'),
    );
    resumeStalledPayouts(ctx).catch((error: unknown) =>
      ctx.logger.warn({ err: error }, 'stalled payouts: look-up failed'),
    );
  }, everyMs);
  timer.unref();
  timers.set(ctx, timer);
}

export function stopHoldReleaser(ctx: AppContext): void {
  const timer = timers.get(ctx);
  if (timer) clearInterval(timer);
  timers.delete(ctx);
}
