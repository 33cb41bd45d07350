import { and, eq, gt, ne } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../core/errors.ts';
import type { Db } from '../../db/client.ts';
import { salesEntries } from '../../db/schema.ts';
import { getProgram } from '../../programs/service.ts';
import { changeMilestone, createReferral, getReferral, updateReferral } from '../../referrals/service.ts';
import type { SalesEntryRow } from '../entries.ts';
import type { EntryPlan } from './plan.ts';

export interface ApplyResult {
  referralId: string;
  changes: Record<string, unknown>;
  /** Why the milestone did not move (locked, denied, backwards, an older event). */
  refusal: string | undefined;
  /** The whole entry was older than one already applied: nothing was written. */
  stale: boolean;
}

/** Refusals of `changeMilestone` that are outcomes of an entry, not failures of the job. */
const REFUSALS = new Set(['referral_locked', 'referral_denied', 'unknown_milestone']);

/**
 * Writes a plan inside the caller's transaction (the entry's outcome commits with it, so a
 * job that runs twice cannot apply twice). Milestones move only through `changeMilestone`.
 */
export async function applyPlan(
  ctx: AppContext,
  tx: Db,
  entry: SalesEntryRow,
  plan: EntryPlan,
  actor: string,
): Promise<ApplyResult> {
  const changes: Record<string, unknown> = {};
  let referralId = plan.referralId;
  // The referral is locked first, so two entries about it are decided one after the other.
  if (referralId) await getReferral(tx, entry.workspaceId, referralId, true);
  if (referralId && (await newerEntryApplied(tx, entry, referralId))) {
    return {
      referralId,
      changes,
      refusal: 'a newer event for this referral was already applied',
      stale: true,
    };
  }
  if (plan.create) {
    const { memberId, ...details } = plan.create;
    const { referral } = await createReferral(
      tx,
      ctx.queue,
      entry.workspaceId,
      {
        programId: plan.programId,
        memberId,
        source: 'crm',
        sourceNote: `sales entry ${entry.id}`,
        ...details,
      },
      { actor },
    );
    referralId = referral.id;
    changes.referralCreated = referral.id;
  }
  if (!referralId) throw new AppError('internal', 'a plan names no referral and creates none');
  const current = await getReferral(tx, entry.workspaceId, referralId, true);
  const fieldDiff: Record<string, { from: unknown; to: unknown }> = {};
  const patch: Record<string, string> = {};
  for (const [key, value] of Object.entries(plan.standardFields)) {
    const before = current[key as keyof typeof current];
    if (value !== undefined && before !== value) {
      patch[key] = value;
      fieldDiff[key] = { from: before ?? null, to: value };
    }
  }
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(plan.customFields)) {
    if (current.customFields[key] !== value) {
      custom[key] = value;
      fieldDiff[`custom.${key}`] = { from: current.customFields[key] ?? null, to: value };
    }
  }
  if (Object.keys(fieldDiff).length > 0) {
    await updateReferral(tx, entry.workspaceId, referralId, {
      ...patch,
      ...(Object.keys(custom).length > 0 ? { customFields: custom } : {}),
    });
    changes.fields = fieldDiff;
  }
  let refusal: string | undefined;
  if (plan.milestone) {
    const program = await getProgram(tx, entry.workspaceId, current.programId);
    refusal = backwardRefusal(program.milestones, current.milestone, plan.milestone, plan.allowBackward);
    if (!refusal) {
      try {
        const { change } = await changeMilestone(tx, ctx.queue, entry.workspaceId, referralId, {
          milestone: plan.milestone,
          actor,
          reason: `sales entry ${entry.id}`,
          feedback: plan.feedback ?? undefined,
          overrideDenied: plan.overrideDenied,
        });
        if (change) changes.milestone = { from: change.fromMilestone, to: change.toMilestone };
      } catch (error) {
        if (!(error instanceof AppError) || !REFUSALS.has(error.code)) throw error;
        refusal = error.message;
      }
    }
  }
  return { referralId, changes, refusal, stale: false };
}

/**
 * Moving back (to an earlier milestone of the program's list) needs a trigger that allows it.
 * Denied milestones are outside the order: moving to one is never "back", moving from one is
 * governed by the denied override instead.
 */
function backwardRefusal(
  milestones: ReadonlyArray<{ code: string; kind: string }>,
  from: string,
  to: string,
  allowBackward: boolean,
): string | undefined {
  if (allowBackward) return undefined;
  const fromIndex = milestones.findIndex((m) => m.code === from);
  const toIndex = milestones.findIndex((m) => m.code === to);
  const fromKind = milestones[fromIndex]?.kind;
  const toKind = milestones[toIndex]?.kind;
  if (fromIndex < 0 || toIndex < 0 || fromKind === 'denied' || toKind === 'denied') return undefined;
  if (toIndex < fromIndex) {
    return `The referral is at ${from}; the trigger does not allow moving it back to ${to}`;
  }
  return undefined;
}

/** An entry about the same referral, from a later moment in the CRM, already succeeded. */
async function newerEntryApplied(tx: Db, entry: SalesEntryRow, referralId: string): Promise<boolean> {
  if (!entry.occurredAt) return false;
  const [newer] = await tx
    .select({ id: salesEntries.id })
    .from(salesEntries)
    .where(
      and(
        eq(salesEntries.workspaceId, entry.workspaceId),
        eq(salesEntries.referralId, referralId),
        eq(salesEntries.status, 'success'),
        ne(salesEntries.id, entry.id),
        gt(salesEntries.occurredAt, entry.occurredAt),
      ),
    )
    .limit(1);
  return newer !== undefined;
}
