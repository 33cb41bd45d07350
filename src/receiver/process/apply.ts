import type { AppContext } from '../../context.ts';
import { AppError } from '../../core/errors.ts';
import type { Db } from '../../db/client.ts';
import { getProgram } from '../../programs/service.ts';
import { backwardRefusal, type MilestoneStep, stepMilestone } from '../../referrals/milestone-rules.ts';
import { createReferral, getReferral, moveMilestone, updateReferral } from '../../referrals/service.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import {
  foldLate,
  type LateFold,
  type NewerEntry,
  newerDecided,
  newerReason,
  type OrderingRecord,
  saveFold,
} from './crm-order.ts';
import type { EntryPlan } from './plan.ts';

export interface ApplyResult {
  referralId: string;
  changes: Record<string, unknown>;
  /** Why the milestone did not move (locked, denied, backwards, an older event). */
  refusal: string | undefined;
  /** Why an older event that arrived late moved the milestone all the same. */
  note: string | undefined;
  /** The whole entry was older than one already applied: nothing was written. */
  stale: boolean;
  /** The entry's place in the CRM's order, when it has a CRM time. */
  ordering: OrderingRecord | undefined;
}

/**
 * Writes a plan inside the caller's transaction (the entry's outcome commits with it, so a
 * job that runs twice cannot apply twice). Milestones move only through `changeMilestone`.
 * An entry with a CRM time arriving after entries the CRM made later is placed before them
 * (`crm-order.ts`): the referral ends where delivering them in the CRM's order ends.
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
  let newer: NewerEntry[] = [];
  // The referral is locked first, so two entries about it are decided one after the other.
  if (referralId) await getReferral(tx, entry.workspaceId, referralId, true);
  if (referralId && entry.occurredAt) {
    newer = await newerDecided(tx, { ...entry, occurredAt: entry.occurredAt }, referralId);
    // Entries decided before ordering records were kept cannot be replayed: they block as they did.
    const unplaced = newer.filter((other) => other.status === 'success' && !other.ordering).at(-1);
    if (unplaced) {
      return {
        referralId,
        changes,
        refusal: newerReason(unplaced),
        note: undefined,
        stale: true,
        ordering: undefined,
      };
    }
    newer = newer.filter((other) => other.ordering);
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
  const program =
    plan.milestone || entry.occurredAt
      ? await getProgram(tx, entry.workspaceId, current.programId)
      : undefined;
  const step: MilestoneStep = {
    milestone: plan.milestone,
    allowBackward: plan.allowBackward,
    overrideDenied: plan.overrideDenied,
  };
  const fold = program ? foldLate(program.milestones, newer, step) : undefined;
  const fieldDiff: Record<string, { from: unknown; to: unknown }> = {};
  const patch: Record<string, string> = {};
  const fieldsSet: string[] = [];
  for (const [key, value] of Object.entries(plan.standardFields)) {
    if (value === undefined) continue;
    fieldsSet.push(key);
    // A later event of the CRM set this field: its value stands.
    if (fold?.newerFields.has(key)) continue;
    const before = current[key as keyof typeof current];
    if (before !== value) {
      patch[key] = value;
      fieldDiff[key] = { from: before ?? null, to: value };
    }
  }
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(plan.customFields)) {
    fieldsSet.push(`custom.${key}`);
    if (fold?.newerFields.has(`custom.${key}`)) continue;
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
  if (fold) {
    const late = await applyLate(
      ctx,
      tx,
      { entry, plan, actor, referralId },
      current.milestone,
      fold,
      changes,
    );
    await saveFold(tx, fold);
    const ordering = { ...step, fields: fieldsSet, before: fold.before, after: fold.after };
    return { referralId, changes, ...late, stale: false, ordering };
  }
  let refusal: string | undefined;
  if (plan.milestone && program) {
    refusal = backwardRefusal(program.milestones, current.milestone, plan.milestone, plan.allowBackward);
    if (!refusal) {
      const moved = await moveMilestone(tx, ctx.queue, entry.workspaceId, referralId, {
        milestone: plan.milestone,
        actor,
        reason: `sales entry ${entry.id}`,
        feedback: plan.feedback ?? undefined,
        overrideDenied: plan.overrideDenied,
      });
      if ('refusal' in moved) refusal = moved.refusal.message;
      else if (moved.change) {
        changes.milestone = { from: moved.change.fromMilestone, to: moved.change.toMilestone };
      }
    }
  }
  const ordering: OrderingRecord | undefined =
    program && entry.occurredAt
      ? {
          ...step,
          fields: fieldsSet,
          before: current.milestone,
          after: stepMilestone(program.milestones, current.milestone, step).milestone,
        }
      : undefined;
  return { referralId, changes, refusal, note: undefined, stale: false, ordering };
}

/**
 * The milestone part of a late entry. The referral moves only when the late entry changes
 * where the CRM's events end, and only when nothing else (a person, an entry without a CRM
 * time) moved it since. A denied milestone a newer entry set may be left, since in the CRM's
 * order that entry would not have set it; an approved one stays locked: rewards were earned
 * on it.
 */
async function applyLate(
  ctx: AppContext,
  tx: Db,
  request: { entry: SalesEntryRow; plan: EntryPlan; actor: string; referralId: string },
  currentMilestone: string,
  fold: LateFold,
  changes: Record<string, unknown>,
): Promise<{ refusal: string | undefined; note: string | undefined }> {
  const { entry, plan } = request;
  const newer = newerReason(fold.newest);
  if (fold.with === currentMilestone || currentMilestone !== fold.without) {
    return { refusal: newer, note: undefined };
  }
  const moved = await moveMilestone(tx, ctx.queue, entry.workspaceId, request.referralId, {
    milestone: fold.with,
    actor: request.actor,
    reason: `sales entry ${entry.id}`,
    feedback: plan.feedback ?? undefined,
    overrideDenied: true,
  });
  if ('refusal' in moved) return { refusal: `${moved.refusal.message}; ${newer}`, note: undefined };
  if (moved.change) changes.milestone = { from: moved.change.fromMilestone, to: moved.change.toMilestone };
  return {
    refusal: undefined,
    note:
      `arrived after entry ${fold.newest.id} from ${fold.newest.occurredAt.toISOString()} ` +
      `but comes before it in the CRM's order, where the events end at ${fold.with}`,
  };
}
