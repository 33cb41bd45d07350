import { and, desc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { AppContext, Caller } from '../../context.ts';
import { AppError, notFound } from '../../core/errors.ts';
import { decodeCursor, type Page, toPage } from '../../core/pagination.ts';
import type { Db } from '../../db/client.ts';
import { escapeLike } from '../../db/like.ts';
import type { EntryPlan } from '../process/plan.ts';
import { applyAsOutcome } from '../process/processor.ts';
import { salesEntries } from '../tables.ts';
import type { SalesEntryRow } from './record.ts';
import type { ListEntriesQuery, SalesEntryView } from './schemas.ts';
import { assertMove, type EntryStatus } from './states.ts';

const dayMs = 24 * 3600 * 1000;

export function toSalesEntryView(row: SalesEntryRow): SalesEntryView {
  return {
    id: row.id,
    connectionId: row.connectionId,
    source: row.source,
    dedupeKey: row.dedupeKey,
    status: row.status,
    reason: row.reason,
    objectType: row.objectType,
    recordId: row.recordId,
    fields: row.fields,
    receivedFields: row.receivedFields,
    occurredAt: row.occurredAt?.toISOString() ?? null,
    related: row.related ?? null,
    referralId: row.referralId,
    memberId: row.memberId,
    matchMethod: row.matchMethod,
    matchScore: row.matchScore,
    trigger: row.trigger ?? null,
    changes: row.changes ?? null,
    requestedMilestone: row.requestedMilestone,
    feedback: row.feedback,
    attempts: row.attempts,
    receivedAt: row.receivedAt.toISOString(),
    processedAt: row.processedAt?.toISOString() ?? null,
  };
}

export async function listEntries(
  db: Db,
  workspaceId: string,
  query: ListEntriesQuery,
): Promise<Page<SalesEntryRow>> {
  const conditions: SQL[] = [eq(salesEntries.workspaceId, workspaceId)];
  if (query.status) conditions.push(eq(salesEntries.status, query.status));
  if (query.connectionId) conditions.push(eq(salesEntries.connectionId, query.connectionId));
  if (query.referralId) conditions.push(eq(salesEntries.referralId, query.referralId));
  if (query.source) conditions.push(eq(salesEntries.source, query.source));
  if (query.receivedFrom)
    conditions.push(gte(salesEntries.receivedAt, new Date(`${query.receivedFrom}T00:00:00Z`)));
  if (query.receivedTo)
    conditions.push(
      lt(salesEntries.receivedAt, new Date(Date.parse(`${query.receivedTo}T00:00:00Z`) + dayMs)),
    );
  if (query.q) {
    const pattern = `%${escapeLike(query.q.toLowerCase())}%`;
    conditions.push(
      sql`lower(concat_ws(' ', ${salesEntries.recordId}, ${salesEntries.reason}, ${salesEntries.fields}::text)) like ${pattern}`,
    );
  }
  if (query.cursor) conditions.push(lt(salesEntries.id, decodeCursor(query.cursor)));
  const rows = await db
    .select()
    .from(salesEntries)
    .where(and(...conditions))
    .orderBy(desc(salesEntries.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => row);
}

export async function getEntry(
  db: Db,
  workspaceId: string,
  id: string,
  forUpdate = false,
): Promise<SalesEntryRow> {
  const query = db
    .select()
    .from(salesEntries)
    .where(and(eq(salesEntries.id, id), eq(salesEntries.workspaceId, workspaceId)));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('Sales entry', id);
  return row;
}

/** Replaces the fields an entry is processed with; what arrived stays in `receivedFields`. */
export async function editEntry(
  db: Db,
  workspaceId: string,
  id: string,
  fields: Record<string, unknown>,
): Promise<SalesEntryRow> {
  const current = await getEntry(db, workspaceId, id);
  if (current.status === 'received') {
    throw new AppError('conflict', 'The sales entry is being processed; edit it once it has an outcome', {
      details: { status: current.status },
    });
  }
  const [row] = await db
    .update(salesEntries)
    .set({ fields })
    .where(and(eq(salesEntries.id, id), eq(salesEntries.workspaceId, workspaceId)))
    .returning();
  if (!row) throw notFound('Sales entry', id);
  return row;
}

const FINAL: EntryStatus[] = ['success', 'ignored', 'review', 'failed'];

async function requeue(ctx: AppContext, tx: Db, workspaceId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await tx
    .update(salesEntries)
    .set({ status: 'received', reason: null, needsReconnect: false })
    .where(
      and(
        eq(salesEntries.workspaceId, workspaceId),
        inArray(salesEntries.id, ids),
        inArray(salesEntries.status, FINAL),
      ),
    )
    .returning({ id: salesEntries.id });
  for (const row of rows) {
    await ctx.queue.emit(tx, {
      workspaceId,
      type: 'sales_entry.received',
      subjectId: row.id,
      payload: { entryId: row.id },
    });
  }
  return rows.length;
}

/** Processes one entry again, with its current fields and the settings as they are now. */
export async function retryEntry(ctx: AppContext, workspaceId: string, id: string): Promise<SalesEntryRow> {
  return ctx.db.transaction(async (tx) => {
    const current = await getEntry(tx, workspaceId, id, true);
    assertMove(current.status, 'received', 'retried until its processing ends');
    await requeue(ctx, tx, workspaceId, [id]);
    return getEntry(tx, workspaceId, id);
  });
}

/** At most this many entries are queued by one bulk retry; call again for the rest. */
const BULK_LIMIT = 1000;

export async function retryEntries(
  ctx: AppContext,
  workspaceId: string,
  filter: { status?: EntryStatus | undefined; ids?: string[] | undefined },
): Promise<number> {
  const conditions: SQL[] = [
    eq(salesEntries.workspaceId, workspaceId),
    inArray(salesEntries.status, filter.status ? [filter.status] : filter.ids ? FINAL : ['failed']),
  ];
  if (filter.ids) conditions.push(inArray(salesEntries.id, filter.ids));
  return ctx.db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: salesEntries.id })
      .from(salesEntries)
      .where(and(...conditions))
      .orderBy(salesEntries.id)
      .limit(BULK_LIMIT);
    return requeue(
      ctx,
      tx,
      workspaceId,
      rows.map((row) => row.id),
    );
  });
}

function heldPlan(changes: Record<string, unknown> | null): EntryPlan | undefined {
  const held = changes?.held;
  if (typeof held !== 'object' || held === null || !('programId' in held)) return undefined;
  return held as EntryPlan;
}

/**
 * A person's decision on an entry in review. Approving applies the plan that was held, as a
 * person's decision may: a denied referral can be moved. Rejecting ends the entry `ignored`
 * with the note.
 */
export async function reviewEntry(
  ctx: AppContext,
  caller: Caller,
  id: string,
  decision: 'approve' | 'reject',
  note: string | undefined,
): Promise<SalesEntryRow> {
  return ctx.db.transaction(async (tx) => {
    const entry = await getEntry(tx, caller.workspaceId, id, true);
    if (decision === 'reject') {
      assertMove(entry.status, 'ignored', 'rejected');
      await tx
        .update(salesEntries)
        .set({
          status: 'ignored',
          reason: note ? `rejected in review: ${note}` : 'rejected in review',
          processedAt: new Date(),
        })
        .where(eq(salesEntries.id, id));
      return getEntry(tx, caller.workspaceId, id);
    }
    assertMove(entry.status, 'success', 'approved');
    const plan = heldPlan(entry.changes);
    if (!plan) {
      throw new AppError(
        'conflict',
        'Nothing was held for this entry (no referral or member matched): edit its fields and retry it',
        { details: { status: entry.status, reason: entry.reason } },
      );
    }
    const outcome = await applyAsOutcome(ctx, tx, entry, { ...plan, overrideDenied: true }, caller.actor);
    if (outcome.status === 'failed')
      throw new AppError('unprocessable', outcome.reason ?? 'the held change failed');
    const reasons = [outcome.reason, note ? `approved in review: ${note}` : 'approved in review'].filter(
      Boolean,
    );
    await tx
      .update(salesEntries)
      .set({
        status: outcome.status,
        reason: reasons.join('; '),
        changes: outcome.changes,
        referralId: outcome.referralId,
        processedAt: new Date(),
      })
      .where(eq(salesEntries.id, id));
    return getEntry(tx, caller.workspaceId, id);
  });
}

/** Entries that failed because their connection needed reconnecting: queued again once it works. */
export async function retryAfterReconnect(
  ctx: AppContext,
  workspaceId: string,
  connectionId: string,
): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: salesEntries.id })
      .from(salesEntries)
      .where(
        and(
          eq(salesEntries.workspaceId, workspaceId),
          eq(salesEntries.connectionId, connectionId),
          eq(salesEntries.status, 'failed'),
          eq(salesEntries.needsReconnect, true),
        ),
      )
      .limit(BULK_LIMIT);
    return requeue(
      ctx,
      tx,
      workspaceId,
      rows.map((row) => row.id),
    );
  });
}
