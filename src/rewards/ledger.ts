import { and, eq } from 'drizzle-orm';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { assertRewardMove, rewardEventOf } from './states.ts';
import { type RewardStatus, rewardEvents, rewards } from './tables.ts';

export type RewardRow = typeof rewards.$inferSelect;
export type NewReward = typeof rewards.$inferInsert;
export type RewardEventRow = typeof rewardEvents.$inferSelect;

/** Who or what moved a reward: `api_key:<id>`, `system:hold`, `system:payout`, `referral:<id>`. */
export interface RewardChange {
  actor: string;
  reason?: string | null | undefined;
}

async function announce(tx: Db, queue: JobQueue, reward: RewardRow, status: RewardStatus): Promise<void> {
  await queue.emit(tx, {
    workspaceId: reward.workspaceId,
    type: rewardEventOf[status],
    subjectId: reward.id,
    payload: {
      rewardId: reward.id,
      programId: reward.programId,
      referralId: reward.referralId,
      memberId: reward.memberId,
      status: reward.status,
      reason: reward.reason,
    },
  });
}

/**
 * Writes a new reward unless one exists for its referral, rule and recipient (the unique
 * index decides, so concurrent workers agree). Answers the new row, or undefined.
 */
export async function insertReward(
  tx: Db,
  queue: JobQueue,
  values: NewReward,
  by: RewardChange,
): Promise<RewardRow | undefined> {
  const [row] = await tx.insert(rewards).values(values).onConflictDoNothing().returning();
  if (!row) return undefined;
  await tx.insert(rewardEvents).values({
    id: newId('rewardEvent'),
    workspaceId: row.workspaceId,
    rewardId: row.id,
    fromStatus: null,
    toStatus: row.status,
    actor: by.actor,
    reason: row.reason,
  });
  await announce(tx, queue, row, 'pending');
  if (row.status !== 'pending') await announce(tx, queue, row, row.status);
  return row;
}

/**
 * The one way a reward changes state: the transition table is checked, the row is updated
 * only if it is still in the state it was read in (a concurrent change makes this a 409),
 * and the history entry and the event commit with it.
 */
export async function moveReward(
  tx: Db,
  queue: JobQueue,
  current: RewardRow,
  to: RewardStatus,
  by: RewardChange,
  patch: Partial<NewReward> = {},
): Promise<RewardRow> {
  assertRewardMove(current.status, to);
  const reason = by.reason === undefined ? current.reason : by.reason;
  const [row] = await tx
    .update(rewards)
    .set({ ...patch, status: to, reason, updatedAt: new Date() })
    .where(and(eq(rewards.id, current.id), eq(rewards.status, current.status)))
    .returning();
  if (!row) {
    throw new AppError('conflict', `The reward ${current.id} changed meanwhile; read it again`, {
      details: { status: current.status },
    });
  }
  await tx.insert(rewardEvents).values({
    id: newId('rewardEvent'),
    workspaceId: row.workspaceId,
    rewardId: row.id,
    fromStatus: current.status,
    toStatus: to,
    actor: by.actor,
    reason: reason ?? null,
  });
  await announce(tx, queue, row, to);
  return row;
}

export async function getReward(db: Db, workspaceId: string, id: string, forUpdate = false) {
  const query = db
    .select()
    .from(rewards)
    .where(and(eq(rewards.id, id), eq(rewards.workspaceId, workspaceId)));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('Reward', id);
  return row;
}

/** Locks the reward, then moves it: for changes a person or a job asks for by ID. */
export async function changeReward(
  db: Db,
  queue: JobQueue,
  workspaceId: string,
  id: string,
  to: RewardStatus,
  by: RewardChange,
  patch: Partial<NewReward> = {},
): Promise<RewardRow> {
  return db.transaction(async (tx) => {
    const current = await getReward(tx, workspaceId, id, true);
    return moveReward(tx, queue, current, to, by, patch);
  });
}
