import { and, DrizzleQueryError, eq, sql } from 'drizzle-orm';
import { ConnectionNeedsReauth, findConnection } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../core/errors.ts';
import { CrmError } from '../../crm/errors.ts';
import type { Db } from '../../db/client.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import { canMove, type EntryStatus } from '../entries/states.ts';
import { settingsFor } from '../settings/service.ts';
import { salesEntries } from '../tables.ts';
import { applyPlan } from './apply.ts';
import { type Decision, decide, type MatchInfo } from './decide.ts';
import type { EntryOrigin } from './objects.ts';
import type { EntryPlan } from './plan.ts';
import { type EntryRecords, resolveRecords } from './records.ts';

/** Who moves a milestone for an entry: its connection, or the API. */
export function actorOf(entry: Pick<SalesEntryRow, 'connectionId'>): string {
  return entry.connectionId ? `crm:${entry.connectionId}` : 'api';
}

export async function originOf(db: Db, entry: SalesEntryRow): Promise<EntryOrigin | undefined> {
  if (entry.connectionId === null) return 'api';
  const connection = await findConnection(db, entry.connectionId, entry.workspaceId);
  return connection?.provider;
}

export const nothingFound: MatchInfo = {
  referralId: null,
  memberId: null,
  matchMethod: null,
  matchScore: null,
  trigger: null,
};

/**
 * Processes one sales entry: normalize, read related records through the CRM, decide, then
 * apply and record the outcome in one transaction. Safe to run twice: only an entry still
 * `received` is processed, and the outcome commits with the changes. CRM failures a retry
 * can help (outage, rate limit) throw, so the job retries with backoff.
 */
export async function processEntry(ctx: AppContext, workspaceId: string, entryId: string): Promise<void> {
  const [entry] = await ctx.db
    .select()
    .from(salesEntries)
    .where(and(eq(salesEntries.id, entryId), eq(salesEntries.workspaceId, workspaceId)));
  if (entry?.status !== 'received') return;
  const origin = await originOf(ctx.db, entry);
  if (!origin) {
    await finish(ctx, entry, undefined, {
      kind: 'failed',
      reason: 'the connection no longer exists',
      match: nothingFound,
    });
    return;
  }
  const settingsList = await settingsFor(ctx.db, workspaceId, entry.connectionId);
  if (settingsList.length === 0 && !entry.requestedMilestone) {
    const where = entry.connectionId ? `connection ${entry.connectionId}` : 'API entries';
    await finish(ctx, entry, undefined, {
      kind: 'failed',
      reason: `no enabled receiver settings for ${where}`,
      match: nothingFound,
    });
    return;
  }
  let records: EntryRecords;
  try {
    records = await resolveRecords(ctx, entry, origin, settingsList);
  } catch (error) {
    const failure = crmFailure(error);
    if (failure === undefined) throw error;
    await finish(ctx, entry, undefined, { kind: 'failed', ...failure, match: nothingFound });
    return;
  }
  const decision = await decide(ctx, entry, records, settingsList);
  await finish(ctx, entry, records, decision);
}

/**
 * A CRM failure no retry can help (bad field name, reconnect needed) as a reason; others
 * undefined. An entry that waits for a reconnect is marked so, and runs again once it is.
 */
export function crmFailure(error: unknown): { reason: string; needsReconnect: boolean } | undefined {
  if (error instanceof ConnectionNeedsReauth) {
    return { reason: `the connection needs reconnecting: ${error.message}`, needsReconnect: true };
  }
  if (error instanceof CrmError && !error.retryable) {
    return {
      reason: `reading related records failed: ${error.crmCode}: ${error.message}`,
      needsReconnect: false,
    };
  }
  return undefined;
}

export interface Outcome {
  status: EntryStatus;
  reason: string | null;
  changes: Record<string, unknown> | null;
  referralId: string | null;
}

export async function outcomeOf(
  ctx: AppContext,
  tx: Db,
  entry: SalesEntryRow,
  decision: Decision,
): Promise<Outcome> {
  const referralId = decision.match.referralId;
  switch (decision.kind) {
    case 'ignored':
    case 'failed':
      return { status: decision.kind, reason: decision.reason, changes: null, referralId };
    case 'review':
      if (decision.notify) {
        await ctx.queue.emit(tx, {
          workspaceId: entry.workspaceId,
          type: 'sales_entry.review_needed',
          subjectId: entry.id,
          payload: { entryId: entry.id, reason: decision.reason },
        });
      }
      return {
        status: 'review',
        reason: decision.reason,
        changes: decision.plan ? { held: decision.plan } : null,
        referralId,
      };
    case 'apply':
      return applyAsOutcome(ctx, tx, entry, decision.plan, actorOf(entry));
  }
}

/**
 * Applies a plan in a savepoint: a refusal by the data (a required custom field, a bad
 * value) rolls back what the plan wrote and becomes a `failed` outcome with its message.
 */
export async function applyAsOutcome(
  ctx: AppContext,
  tx: Db,
  entry: SalesEntryRow,
  plan: EntryPlan,
  actor: string,
): Promise<Outcome> {
  try {
    const result = await tx.transaction((savepoint) => applyPlan(ctx, savepoint, entry, plan, actor));
    // Refused entries keep their place in the CRM's order too: a later one may be placed around them.
    const ordering = result.ordering ? { ordering: result.ordering } : null;
    if (result.stale) {
      return {
        status: 'ignored',
        reason: result.refusal ?? null,
        changes: ordering,
        referralId: result.referralId,
      };
    }
    const changed = Object.keys(result.changes).length > 0;
    if (!changed && result.refusal) {
      return { status: 'ignored', reason: result.refusal, changes: ordering, referralId: result.referralId };
    }
    return {
      status: 'success',
      reason: result.refusal ?? result.note ?? null,
      changes: { ...result.changes, ...ordering },
      referralId: result.referralId,
    };
  } catch (error) {
    if (!(error instanceof AppError) || !error.forCaller || error.retryable || error.code === 'internal') {
      throw error;
    }
    return { status: 'failed', reason: error.message, changes: null, referralId: plan.referralId };
  }
}

/** Records the outcome (and applies the plan) in one transaction, if the entry is still `received`. */
async function finish(
  ctx: AppContext,
  entry: SalesEntryRow,
  records: EntryRecords | undefined,
  decision: Decision,
): Promise<void> {
  const outcome = await ctx.db.transaction((tx) => finishIn(ctx, tx, entry, records, decision));
  if (outcome) noteMilestoneLatency(ctx, entry, outcome);
}

/** The columns an outcome writes on its entry (`attempts` and `processedAt` aside). */
export function outcomeColumns(outcome: Outcome, decision: Decision, records: EntryRecords | undefined) {
  return {
    status: outcome.status,
    reason: outcome.reason,
    changes: outcome.changes,
    referralId: outcome.referralId,
    memberId: decision.match.memberId,
    matchMethod: decision.match.matchMethod,
    matchScore: decision.match.matchScore,
    trigger: decision.match.trigger,
    ...(records ? { objectType: records.object, related: records.related } : {}),
    needsReconnect: decision.kind === 'failed' && decision.needsReconnect === true,
  };
}

/**
 * `finish` inside the caller's transaction (a batch's, for entries it cannot write
 * set-based). Answers the outcome, or undefined when another run finished the entry first.
 */
export async function finishIn(
  ctx: AppContext,
  tx: Db,
  entry: SalesEntryRow,
  records: EntryRecords | undefined,
  decision: Decision,
): Promise<Outcome | undefined> {
  const [locked] = await tx
    .select()
    .from(salesEntries)
    .where(and(eq(salesEntries.id, entry.id), eq(salesEntries.status, 'received')))
    .for('update');
  // Another run of this job finished it first: its outcome stands.
  if (!locked) return undefined;
  const outcome = await outcomeOf(ctx, tx, locked, decision);
  if (!canMove('received', outcome.status)) {
    throw new AppError('internal', `a sales entry cannot go from received to ${outcome.status}`);
  }
  await tx
    .update(salesEntries)
    .set({
      ...outcomeColumns(outcome, decision, records),
      attempts: sql`${salesEntries.attempts} + 1`,
      processedAt: new Date(),
    })
    .where(eq(salesEntries.id, entry.id));
  if (outcome.status === 'failed') {
    await ctx.queue.emit(tx, {
      workspaceId: entry.workspaceId,
      type: 'sales_entry.failed',
      subjectId: entry.id,
      payload: { entryId: entry.id, reason: outcome.reason ?? 'failed' },
    });
  }
  return outcome;
}

/** Once committed: how long a first run took from the entry's arrival to the milestone change it made. */
export function noteMilestoneLatency(
  ctx: AppContext,
  entry: Pick<SalesEntryRow, 'connectionId' | 'receivedAt' | 'attempts'>,
  outcome: Pick<Outcome, 'changes'>,
): void {
  // A retried entry waited for a person, not for refsync.
  if (!outcome.changes?.milestone || entry.attempts > 0) return;
  const seconds = Math.max(0, (Date.now() - entry.receivedAt.getTime()) / 1000);
  ctx.metrics.entryToMilestone.observe({ connection: entry.connectionId ?? 'api' }, seconds);
}

/**
 * Counts an attempt that failed in a way a retry can help (CRM outage, rate limit). Past
 * `limit` attempts the entry ends `failed` with the reason, so it shows in the log and can
 * be retried by hand instead of staying `received` for ever. Returns whether it gave up.
 */
export async function failedAttempt(
  ctx: AppContext,
  workspaceId: string,
  entryId: string,
  error: unknown,
  limit: number,
): Promise<boolean> {
  // A failed statement says what the database refused, not the query and its values.
  const said = error instanceof DrizzleQueryError && error.cause ? error.cause : error;
  const message = said instanceof Error ? said.message : String(said);
  const code = error instanceof CrmError ? `${error.crmCode}: ` : '';
  return ctx.db.transaction(async (tx) => {
    const [counted] = await tx
      .update(salesEntries)
      .set({ attempts: sql`${salesEntries.attempts} + 1` })
      .where(
        and(
          eq(salesEntries.id, entryId),
          eq(salesEntries.workspaceId, workspaceId),
          eq(salesEntries.status, 'received'),
        ),
      )
      .returning({ attempts: salesEntries.attempts });
    if (!counted) return true;
    if (counted.attempts <= limit) return false;
    const reason = `processing gave up after ${counted.attempts} attempts: ${code}${message}`;
    await tx
      .update(salesEntries)
      .set({ status: 'failed', reason, processedAt: new Date() })
      .where(eq(salesEntries.id, entryId));
    await ctx.queue.emit(tx, {
      workspaceId,
      type: 'sales_entry.failed',
      subjectId: entryId,
      payload: { entryId, reason },
    });
    return true;
  });
}
