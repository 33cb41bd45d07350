import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import type { ProgramRow } from '../programs/service.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { judgeMilestoneChange, type MilestoneRefusal } from './milestone-rules.ts';
import type { MilestoneChangeRequest, ReferralRow } from './service.ts';
import { milestoneChanges, referrals } from './tables.ts';

/**
 * Many referrals at once, for work done in batches (the sales receiver). The same rules as
 * one at a time (`moveMilestone`), written set-based: a statement per kind of row, not per
 * referral.
 */

/**
 * Locks the workspace's referrals among `ids` for the transaction, in ID order (two batches
 * locking overlapping referrals never wait on each other in a circle), and answers them by ID.
 */
export async function lockReferrals(
  tx: Db,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, ReferralRow>> {
  const locked = new Map<string, ReferralRow>();
  const unique = [...new Set(ids)].sort();
  if (unique.length === 0) return locked;
  const rows = await tx
    .select()
    .from(referrals)
    .where(and(eq(referrals.workspaceId, workspaceId), inArray(referrals.id, unique)))
    .orderBy(asc(referrals.id))
    .for('update');
  for (const row of rows) locked.set(row.id, row);
  return locked;
}

/** The history entry of one milestone change. */
export function changeRowOf(
  workspaceId: string,
  referral: Pick<ReferralRow, 'id' | 'milestone'>,
  to: string,
  request: MilestoneChangeRequest,
  overridesDenied: boolean,
) {
  return {
    id: newId('milestoneChange'),
    workspaceId,
    referralId: referral.id,
    fromMilestone: referral.milestone,
    toMilestone: to,
    actor: request.actor,
    reason: request.reason ?? null,
    feedback: request.feedback ?? null,
    overrodeDenied: overridesDenied,
  };
}

export interface MilestoneMove {
  /** The referral as locked by `lockReferrals` in this transaction. */
  referral: ReferralRow;
  program: Pick<ProgramRow, 'id' | 'milestones'>;
  request: MilestoneChangeRequest;
}

export type MoveOutcome =
  | { refusal: MilestoneRefusal }
  | { change: { id: string; fromMilestone: string; toMilestone: string } | undefined };

/**
 * Moves each referral as `moveMilestone` would, inside `tx`: the rules decide, and the
 * referrals, their history entries and the `referral.milestone_changed` events are written
 * with one statement each. Each referral appears at most once. Answers per move, in order.
 */
export async function moveMilestones(
  tx: Db,
  queue: JobQueue,
  workspaceId: string,
  moves: readonly MilestoneMove[],
): Promise<MoveOutcome[]> {
  const seen = new Set<string>();
  const outcomes: MoveOutcome[] = [];
  const changes: Array<typeof milestoneChanges.$inferInsert> = [];
  const updates: Array<{ id: string; milestone: string }> = [];
  for (const move of moves) {
    const { referral, program, request } = move;
    if (seen.has(referral.id))
      throw new AppError('internal', `referral ${referral.id} moved twice in a batch`);
    seen.add(referral.id);
    const decision = judgeMilestoneChange(program.milestones, referral.milestone, request.milestone, {
      overrideDenied: request.overrideDenied,
    });
    if (decision.kind === 'refused') {
      outcomes.push({ refusal: decision.refusal });
      continue;
    }
    if (decision.kind === 'unchanged') {
      outcomes.push({ change: undefined });
      continue;
    }
    const change = changeRowOf(
      workspaceId,
      referral,
      decision.target.code,
      request,
      decision.overridesDenied,
    );
    changes.push(change);
    updates.push({ id: referral.id, milestone: decision.target.code });
    outcomes.push({
      change: { id: change.id, fromMilestone: referral.milestone, toMilestone: decision.target.code },
    });
  }
  if (updates.length === 0) return outcomes;
  await tx.execute(sql`
    update ${referrals} set milestone = v.milestone, updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as v(id text, milestone text)
    where ${referrals.id} = v.id and ${referrals.workspaceId} = ${workspaceId}`);
  await tx.insert(milestoneChanges).values(changes);
  const programOf = new Map(moves.map((move) => [move.referral.id, move.program.id]));
  await queue.emitMany(
    tx,
    changes.map((change) => ({
      workspaceId,
      type: 'referral.milestone_changed' as const,
      subjectId: change.referralId,
      payload: {
        referralId: change.referralId,
        programId: programOf.get(change.referralId) ?? '',
        changeId: change.id,
        from: change.fromMilestone ?? null,
        to: change.toMilestone,
      },
    })),
  );
  return outcomes;
}
