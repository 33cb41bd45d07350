import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { newId } from '../../core/ids.ts';
import { salesEntries } from '../../db/schema.ts';
import { noteEventsArrived } from '../connection-state.ts';

export type SalesEntryRow = typeof salesEntries.$inferSelect;

export type SalesEntrySource =
  | 'salesforce_outbound'
  | 'salesforce_transition'
  | 'hubspot_webhook'
  | 'api'
  | 'poll';

/** One CRM event as an ingest endpoint understood it, before any matching. */
export interface IncomingEntry {
  source: SalesEntrySource;
  connectionId: string | null;
  /** The CRM's event ID (outbound notification ID, webhook event ID, ...): a redelivery is the same entry. */
  dedupeKey: string;
  /** Exactly what arrived (the whole SOAP message, the webhook event JSON, the API body). */
  rawPayload: string;
  objectType?: string | undefined;
  recordId?: string | undefined;
  fields: Record<string, unknown>;
  /** When the CRM says the change happened (ordering of out-of-order deliveries). */
  occurredAt?: Date | undefined;
  requestedMilestone?: string | undefined;
  feedback?: string | undefined;
}

/**
 * Saves entries and enqueues their processing in one transaction, before the caller answers
 * the CRM: an entry is never lost, and a redelivered one (same dedupe key) is neither saved
 * nor processed twice. Returns each entry's ID, and whether it had arrived before.
 */
export async function recordSalesEntries(
  ctx: AppContext,
  workspaceId: string,
  entries: IncomingEntry[],
): Promise<Array<{ id: string; duplicate: boolean }>> {
  if (entries.length === 0) return [];
  return ctx.db.transaction(async (tx) => {
    const keys = entries.map((entry) => entry.dedupeKey);
    const known = await tx
      .select({ id: salesEntries.id, dedupeKey: salesEntries.dedupeKey })
      .from(salesEntries)
      .where(and(eq(salesEntries.workspaceId, workspaceId), inArray(salesEntries.dedupeKey, keys)));
    const byKey = new Map(known.map((row) => [row.dedupeKey, row.id]));
    const results: Array<{ id: string; duplicate: boolean }> = [];
    for (const entry of entries) {
      const existing = byKey.get(entry.dedupeKey);
      if (existing) {
        results.push({ id: existing, duplicate: true });
        continue;
      }
      const id = newId('salesEntry');
      const inserted = await tx
        .insert(salesEntries)
        .values({
          id,
          workspaceId,
          connectionId: entry.connectionId,
          source: entry.source,
          dedupeKey: entry.dedupeKey,
          rawPayload: entry.rawPayload,
          status: 'received',
          objectType: entry.objectType ?? null,
          recordId: entry.recordId ?? null,
          fields: entry.fields,
          receivedFields: entry.fields,
          occurredAt: entry.occurredAt ?? null,
          requestedMilestone: entry.requestedMilestone ?? null,
          feedback: entry.feedback ?? null,
        })
        .onConflictDoNothing()
        .returning({ id: salesEntries.id });
      if (inserted.length === 0) {
        // Saved by a concurrent delivery of the same event between the check and the insert.
        results.push({ id: byKey.get(entry.dedupeKey) ?? id, duplicate: true });
        continue;
      }
      byKey.set(entry.dedupeKey, id);
      results.push({ id, duplicate: false });
      await ctx.queue.emit(tx, {
        workspaceId,
        type: 'sales_entry.received',
        subjectId: id,
        payload: { entryId: id },
      });
    }
    // Polls are not events: a connection whose events stop arriving must show it.
    const connectionIds = [
      ...new Set(
        entries.flatMap((entry) =>
          entry.connectionId && entry.source !== 'poll' ? [entry.connectionId] : [],
        ),
      ),
    ];
    await noteEventsArrived(
      tx,
      connectionIds.map((id) => ({ id, workspaceId })),
    );
    return results;
  });
}
