import { and, count, eq, gte, lt } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { salesEntries } from '../tables.ts';

/** How many sales entries a workspace received in a period, per outcome. */
export async function entryCountsByStatus(
  db: Db,
  workspaceId: string,
  period: { from: Date; to: Date },
): Promise<Map<string, number>> {
  const rows = await db
    .select({ status: salesEntries.status, n: count() })
    .from(salesEntries)
    .where(
      and(
        eq(salesEntries.workspaceId, workspaceId),
        gte(salesEntries.receivedAt, period.from),
        lt(salesEntries.receivedAt, period.to),
      ),
    )
    .groupBy(salesEntries.status);
  return new Map(rows.map((row) => [row.status, row.n]));
}

/** How many sales entries of a workspace are in each outcome now (the console's review badge). */
export async function entryCountsNow(db: Db, workspaceId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ status: salesEntries.status, n: count() })
    .from(salesEntries)
    .where(eq(salesEntries.workspaceId, workspaceId))
    .groupBy(salesEntries.status);
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}
