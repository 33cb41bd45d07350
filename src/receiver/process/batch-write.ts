import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import type { ProgramRow } from '../../programs/service.ts';
import type { EventType } from '../../queue/events.ts';
import type { EmitInput } from '../../queue/job-queue.ts';
import { lockReferrals, type MilestoneMove, moveMilestones } from '../../referrals/batch.ts';
import { backwardRefusal, type MilestoneStep, stepMilestone } from '../../referrals/milestone-rules.ts';
import type { ReferralRow } from '../../referrals/service.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import { salesEntries } from '../tables.ts';
import type { DecidedEntry } from './batch.ts';
import { crmOrder, decidedSince, type OrderingRecord } from './crm-order.ts';
import type { EntryPlan } from './plan.ts';
import { actorOf, finishIn, noteMilestoneLatency, type Outcome, outcomeColumns } from './processor.ts';
import { readsOf } from './reads.ts';

/** An entry written set-based: its outcome, and the milestone move it asks for, if any. */
interface Planned {
  item: DecidedEntry;
  outcome: Outcome;
  move?: { index: number; refusal: string | undefined; ordering: OrderingRecord | undefined };
}

/**
 * Writes a decided batch in one transaction. The entries still `received` are locked, then
 * every referral the batch's plans name, together and in ID order. An entry whose plan only
 * moves a milestone, on a referral no other entry of the batch touches and with nothing
 * later in the CRM's order already decided for it, is written set-based: one statement for
 * all their referrals, one for their history, one for their events, one for the entries.
 * The rest (new referrals, field updates, entries placed among later ones, several entries
 * about one referral) go through the one-entry path (`finishIn`) in the same transaction,
 * in arrival order. Any error rolls the whole batch back.
 */
export async function writeBatch(
  ctx: AppContext,
  workspaceId: string,
  decided: DecidedEntry[],
): Promise<void> {
  if (decided.length === 0) return;
  const noted: Array<{ entry: SalesEntryRow; outcome: Outcome }> = [];
  await ctx.db.transaction(async (tx) => {
    noted.length = 0;
    const ids = decided.map((item) => item.entry.id).sort();
    const open = await tx
      .select({ id: salesEntries.id })
      .from(salesEntries)
      .where(and(inArray(salesEntries.id, ids), eq(salesEntries.status, 'received')))
      .orderBy(asc(salesEntries.id))
      .for('update');
    const waiting = new Set(open.map((row) => row.id));
    const items = decided.filter((item) => waiting.has(item.entry.id));
    const plans = items.flatMap((item) => (item.decision.kind === 'apply' ? [item.decision.plan] : []));
    const referrals = await lockReferrals(
      tx,
      workspaceId,
      plans.flatMap((plan) => (plan.referralId ? [plan.referralId] : [])),
    );
    const simple = await simpleEntries(tx, workspaceId, items, referrals);
    const planned: Planned[] = [];
    const moves: MilestoneMove[] = [];
    const reads = readsOf(tx);
    const programs = new Map<string, Promise<ProgramRow>>();
    const programOf = (referral: ReferralRow) => {
      let program = programs.get(referral.programId);
      if (!program) {
        program = reads.program(workspaceId, referral.programId);
        programs.set(referral.programId, program);
      }
      return program;
    };
    for (const item of items) {
      const { entry, decision } = item;
      if (decision.kind === 'apply' && !simple.has(entry.id)) {
        const outcome = await finishIn(ctx, tx, entry, item.records, decision);
        if (outcome) noted.push({ entry, outcome });
        continue;
      }
      const referralId = decision.match.referralId;
      if (decision.kind !== 'apply') {
        const changes = decision.kind === 'review' && decision.plan ? { held: decision.plan } : null;
        planned.push({
          item,
          outcome: { status: decision.kind, reason: decision.reason, changes, referralId },
        });
        continue;
      }
      const plan = decision.plan;
      const referral = plan.referralId ? referrals.get(plan.referralId) : undefined;
      if (!referral) throw new Error(`referral ${plan.referralId} was not locked`);
      const program = await programOf(referral);
      const step: MilestoneStep = {
        milestone: plan.milestone,
        allowBackward: plan.allowBackward,
        overrideDenied: plan.overrideDenied,
      };
      const ordering: OrderingRecord | undefined = entry.occurredAt
        ? {
            ...step,
            fields: [],
            before: referral.milestone,
            after: stepMilestone(program.milestones, referral.milestone, step).milestone,
          }
        : undefined;
      const refusal = plan.milestone
        ? backwardRefusal(program.milestones, referral.milestone, plan.milestone, plan.allowBackward)
        : undefined;
      const outcome: Outcome = { status: 'success', reason: null, changes: null, referralId: referral.id };
      if (plan.milestone && !refusal) {
        moves.push({ referral, program, request: moveRequest(entry, plan) });
        planned.push({ item, outcome, move: { index: moves.length - 1, refusal, ordering } });
      } else {
        planned.push({ item, outcome, move: { index: -1, refusal, ordering } });
      }
    }
    const moved = await moveMilestones(tx, ctx.queue, workspaceId, moves);
    const events: Array<EmitInput<EventType>> = [];
    for (const entry of planned) {
      if (entry.move) entry.outcome = applied(entry, moved[entry.move.index]);
      const { item, outcome } = entry;
      if (outcome.status === 'failed') {
        events.push({
          workspaceId,
          type: 'sales_entry.failed',
          subjectId: item.entry.id,
          payload: { entryId: item.entry.id, reason: outcome.reason ?? 'failed' },
        });
      }
      if (item.decision.kind === 'review' && item.decision.notify) {
        events.push({
          workspaceId,
          type: 'sales_entry.review_needed',
          subjectId: item.entry.id,
          payload: { entryId: item.entry.id, reason: item.decision.reason },
        });
      }
      noted.push({ entry: item.entry, outcome });
    }
    await writeOutcomes(tx, planned);
    await ctx.queue.emitMany(tx, events);
  });
  for (const { entry, outcome } of noted) noteMilestoneLatency(ctx, entry, outcome);
}

function moveRequest(entry: SalesEntryRow, plan: EntryPlan) {
  return {
    milestone: plan.milestone ?? '',
    actor: actorOf(entry),
    reason: `sales entry ${entry.id}`,
    feedback: plan.feedback ?? undefined,
    overrideDenied: plan.overrideDenied,
  };
}

/** The outcome of a plan that only moves a milestone, as `applyAsOutcome` words it. */
function applied(
  planned: Planned,
  result: Awaited<ReturnType<typeof moveMilestones>>[number] | undefined,
): Outcome {
  const referralId = planned.outcome.referralId;
  const ordering = planned.move?.ordering ? { ordering: planned.move.ordering } : null;
  let refusal = planned.move?.refusal;
  const changes: Record<string, unknown> = {};
  if (result && 'refusal' in result) refusal = result.refusal.message;
  else if (result?.change)
    changes.milestone = { from: result.change.fromMilestone, to: result.change.toMilestone };
  if (Object.keys(changes).length === 0 && refusal) {
    return { status: 'ignored', reason: refusal, changes: ordering, referralId };
  }
  return { status: 'success', reason: refusal ?? null, changes: { ...changes, ...ordering }, referralId };
}

/**
 * The entries the batch can write set-based: plans that only move a milestone (no new
 * referral, no field changes), on a referral named by no other plan of the batch, and, for
 * entries with a CRM time, with no entry of that referral decided at or after that time.
 */
async function simpleEntries(
  tx: Db,
  workspaceId: string,
  items: DecidedEntry[],
  referrals: Map<string, ReferralRow>,
): Promise<Set<string>> {
  const count = new Map<string, number>();
  for (const { decision } of items) {
    const id = decision.kind === 'apply' ? decision.plan.referralId : null;
    if (id) count.set(id, (count.get(id) ?? 0) + 1);
  }
  const candidates = items.filter(({ decision }) => {
    if (decision.kind !== 'apply') return false;
    const { plan } = decision;
    return (
      plan.create === null &&
      plan.referralId !== null &&
      referrals.has(plan.referralId) &&
      count.get(plan.referralId) === 1 &&
      Object.keys(plan.standardFields).length === 0 &&
      Object.keys(plan.customFields).length === 0
    );
  });
  const timed = candidates.flatMap(({ entry }) => (entry.occurredAt ? [entry.occurredAt.getTime()] : []));
  const decided =
    timed.length === 0
      ? new Map()
      : await decidedSince(
          tx,
          workspaceId,
          candidates.flatMap(({ entry, decision }) =>
            entry.occurredAt && decision.kind === 'apply' && decision.plan.referralId
              ? [decision.plan.referralId]
              : [],
          ),
          new Date(Math.min(...timed)),
        );
  const simple = new Set<string>();
  for (const { entry, decision } of candidates) {
    const referralId = decision.kind === 'apply' ? decision.plan.referralId : null;
    if (!referralId) continue;
    const occurredAt = entry.occurredAt;
    if (occurredAt) {
      const others = (decided.get(referralId) ?? []) as Array<{
        id: string;
        occurredAt: Date;
        dedupeKey: string;
      }>;
      const later = others.some(
        (other) => other.id !== entry.id && crmOrder(other, { occurredAt, dedupeKey: entry.dedupeKey }) > 0,
      );
      if (later) continue;
    }
    simple.add(entry.id);
  }
  return simple;
}

/** One statement for every entry written set-based. */
async function writeOutcomes(tx: Db, planned: Planned[]): Promise<void> {
  if (planned.length === 0) return;
  const rows = planned.map(({ item, outcome }) => {
    const columns = outcomeColumns(outcome, item.decision, item.records);
    return {
      id: item.entry.id,
      status: columns.status,
      reason: columns.reason,
      changes: columns.changes,
      referral_id: columns.referralId,
      member_id: columns.memberId,
      match_method: columns.matchMethod,
      match_score: columns.matchScore,
      trigger: columns.trigger,
      keep_records: item.records === undefined,
      object_type: item.records?.object ?? null,
      related: item.records?.related ?? null,
      needs_reconnect: columns.needsReconnect,
    };
  });
  await tx.execute(sql`
    update ${salesEntries} set
      status = v.status, reason = v.reason, changes = v.changes, referral_id = v.referral_id,
      member_id = v.member_id, match_method = v.match_method, match_score = v.match_score,
      trigger = v.trigger,
      object_type = case when v.keep_records then ${salesEntries.objectType} else v.object_type end,
      related = case when v.keep_records then ${salesEntries.related} else v.related end,
      needs_reconnect = v.needs_reconnect, attempts = ${salesEntries.attempts} + 1, processed_at = now()
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(
      id text, status text, reason text, changes jsonb, referral_id text, member_id text,
      match_method text, match_score double precision, trigger jsonb, keep_records boolean,
      object_type text, related jsonb, needs_reconnect boolean)
    where ${salesEntries.id} = v.id`);
}
