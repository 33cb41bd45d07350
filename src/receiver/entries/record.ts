import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { newId } from '../../core/ids.ts';
import {
  dateProblem,
  describeIssues,
  type OutsideIssue,
  storableText,
  textProblem,
  valueIssues,
} from '../../core/outside-input.ts';
import type { IncomingEntry } from '../../crm/hooks.ts';
import { noteEventsArrived } from '../connection-state.ts';
import { salesEntries } from '../tables.ts';

export type SalesEntryRow = typeof salesEntries.$inferSelect;

/** Hooks (src/crm/<provider>/hooks/) build entries too: the type lives with their interface. */
export type { IncomingEntry, SalesEntrySource } from '../../crm/hooks.ts';

/**
 * Where an incoming entry breaks the rule for outside input (src/core/outside-input.ts),
 * each issue named by its field (`fields.Company`, `occurredAt`); empty when it can be saved.
 */
export function entryIssues(entry: IncomingEntry): OutsideIssue[] {
  const issues: OutsideIssue[] = [];
  const texts = {
    dedupeKey: entry.dedupeKey,
    connectionId: entry.connectionId,
    objectType: entry.objectType,
    recordId: entry.recordId,
    requestedMilestone: entry.requestedMilestone,
    feedback: entry.feedback,
  };
  for (const [field, text] of Object.entries(texts)) {
    const problem = typeof text === 'string' ? textProblem(text) : undefined;
    if (problem) issues.push({ path: [field], message: problem });
  }
  issues.push(...valueIssues(entry.fields, ['fields']));
  const dated = entry.occurredAt === undefined ? undefined : dateProblem(entry.occurredAt);
  if (dated) issues.push({ path: ['occurredAt'], message: dated });
  return issues;
}

/** The `failed` reason of an entry with these issues; undefined for none. */
export function refusalFor(issues: readonly OutsideIssue[]): string | undefined {
  return issues.length === 0 ? undefined : `refused on arrival: ${describeIssues(issues)}`;
}

/** The reason an incoming entry cannot be processed, or undefined when it can. */
export function refusalOf(entry: IncomingEntry): string | undefined {
  return entry.refusal ?? refusalFor(entryIssues(entry));
}

/**
 * What an entry saves as: itself, or, when it breaks the rule, a `failed` entry holding only
 * what can be stored.
 */
function rowOf(workspaceId: string, entry: IncomingEntry) {
  const refusal = refusalOf(entry);
  const base = {
    workspaceId,
    connectionId: entry.connectionId,
    source: entry.source,
    dedupeKey: storableText(entry.dedupeKey),
    rawPayload: storableText(entry.rawPayload),
  };
  if (refusal) {
    const text = (value: string | undefined) => (value === undefined ? null : storableText(value));
    return {
      ...base,
      status: 'failed' as const,
      reason: refusal,
      objectType: text(entry.objectType),
      recordId: text(entry.recordId),
      fields: {},
      receivedFields: {},
    };
  }
  return {
    ...base,
    status: 'received' as const,
    objectType: entry.objectType ?? null,
    recordId: entry.recordId ?? null,
    fields: entry.fields,
    receivedFields: entry.fields,
    occurredAt: entry.occurredAt ?? null,
    requestedMilestone: entry.requestedMilestone ?? null,
    feedback: entry.feedback ?? null,
  };
}

/**
 * Saves entries and enqueues their processing in one transaction, before the caller answers
 * the CRM: an entry is never lost, and a redelivered one (same dedupe key) is neither saved
 * nor processed twice. An entry that breaks the rule for outside input is saved `failed`
 * with the reason and not processed, so it cannot take the rest of its batch down with it.
 * A whole message is a handful of statements whatever its size: one read of the keys already
 * known, one insert of the new entries, one of their events and one of their jobs.
 * Returns each entry's ID, and whether it had arrived before.
 */
export async function recordSalesEntries(
  ctx: AppContext,
  workspaceId: string,
  entries: IncomingEntry[],
): Promise<Array<{ id: string; duplicate: boolean }>> {
  if (entries.length === 0) return [];
  const rows = entries.map((entry) => rowOf(workspaceId, entry));
  return ctx.db.transaction(async (tx) => {
    const keys = [...new Set(rows.map((row) => row.dedupeKey))];
    const knownIds = async (wanted: string[]) =>
      wanted.length === 0
        ? []
        : tx
            .select({ id: salesEntries.id, dedupeKey: salesEntries.dedupeKey })
            .from(salesEntries)
            .where(and(eq(salesEntries.workspaceId, workspaceId), inArray(salesEntries.dedupeKey, wanted)));
    const byKey = new Map((await knownIds(keys)).map((row) => [row.dedupeKey, row.id]));
    // The first of each new key is saved; a key given twice in one message is one entry.
    const fresh = new Map<string, (typeof rows)[number] & { id: string }>();
    for (const row of rows) {
      if (!byKey.has(row.dedupeKey) && !fresh.has(row.dedupeKey)) {
        fresh.set(row.dedupeKey, { id: newId('salesEntry'), ...row });
      }
    }
    const inserted =
      fresh.size === 0
        ? []
        : await tx
            .insert(salesEntries)
            .values([...fresh.values()])
            .onConflictDoNothing()
            .returning({ id: salesEntries.id, dedupeKey: salesEntries.dedupeKey });
    const saved = new Set(inserted.map((row) => row.id));
    // Saved by a concurrent delivery of the same event between the check and the insert.
    const raced = [...fresh.values()].filter((row) => !saved.has(row.id)).map((row) => row.dedupeKey);
    for (const row of await knownIds(raced)) byKey.set(row.dedupeKey, row.id);
    const results: Array<{ id: string; duplicate: boolean }> = [];
    const firstSeen = new Set<string>();
    for (const row of rows) {
      const own = fresh.get(row.dedupeKey);
      if (own && saved.has(own.id) && !firstSeen.has(own.id)) {
        firstSeen.add(own.id);
        results.push({ id: own.id, duplicate: false });
        continue;
      }
      results.push({
        id: own && saved.has(own.id) ? own.id : (byKey.get(row.dedupeKey) ?? own?.id ?? ''),
        duplicate: true,
      });
    }
    await ctx.queue.emitMany(
      tx,
      [...fresh.values()]
        .filter((row) => saved.has(row.id) && row.status === 'received')
        .map((row) => ({
          workspaceId,
          type: 'sales_entry.received' as const,
          subjectId: row.id,
          payload: { entryId: row.id },
        })),
    );
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
