import { and, eq, inArray } from 'drizzle-orm';
import type { Provider } from '../../crm/types.ts';
import type { Db } from '../../db/client.ts';
import { salesEntries } from '../tables.ts';
import { polledObject } from './plan.ts';

/**
 * For each polled record, the newest version of it the receiver already has an entry for
 * (any source: outbound message, webhook, API, an earlier poll), as a time. A poll skips a
 * record whose modification time is not newer: that change arrived already, and may have
 * been decided on (a rejected review must not come back). An entry without the CRM's time
 * counts from when it was received: it reflects the record as it was then at the latest.
 */
export async function newestReceived(
  db: Db,
  scope: { workspaceId: string; connectionId: string; provider: Provider },
  object: string,
  recordIds: string[],
): Promise<Map<string, number>> {
  const newest = new Map<string, number>();
  if (recordIds.length === 0) return newest;
  const rows = await db
    .select({
      recordId: salesEntries.recordId,
      objectType: salesEntries.objectType,
      occurredAt: salesEntries.occurredAt,
      receivedAt: salesEntries.receivedAt,
    })
    .from(salesEntries)
    .where(
      and(
        eq(salesEntries.workspaceId, scope.workspaceId),
        inArray(salesEntries.recordId, recordIds),
        eq(salesEntries.connectionId, scope.connectionId),
      ),
    );
  for (const row of rows) {
    // HubSpot record IDs are unique per object type only; webhooks spell types their own way.
    if (row.recordId === null || row.objectType === null) continue;
    if (polledObject(scope.provider, row.objectType) !== object) continue;
    const at = (row.occurredAt ?? row.receivedAt).getTime();
    newest.set(row.recordId, Math.max(newest.get(row.recordId) ?? at, at));
  }
  return newest;
}
