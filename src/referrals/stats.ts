import { and, count, countDistinct, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { milestoneChanges, referrals } from './tables.ts';

export interface Period {
  from: Date;
  /** Exclusive. */
  to: Date;
}

function createdIn(workspaceId: string, programId: string, period: Period) {
  return and(
    eq(referrals.workspaceId, workspaceId),
    eq(referrals.programId, programId),
    gte(referrals.createdAt, period.from),
    lt(referrals.createdAt, period.to),
  );
}

/**
 * The funnel of the referrals a program received in a period: per milestone, how many of
 * them ever reached it (from their history) and how many are at it now.
 */
export async function milestoneFunnel(
  db: Db,
  workspaceId: string,
  programId: string,
  period: Period,
): Promise<{ reached: Map<string, number>; current: Map<string, number> }> {
  const reachedRows = await db
    .select({ milestone: milestoneChanges.toMilestone, n: countDistinct(milestoneChanges.referralId) })
    .from(milestoneChanges)
    .innerJoin(referrals, eq(referrals.id, milestoneChanges.referralId))
    .where(createdIn(workspaceId, programId, period))
    .groupBy(milestoneChanges.toMilestone);
  const currentRows = await db
    .select({ milestone: referrals.milestone, n: count() })
    .from(referrals)
    .where(createdIn(workspaceId, programId, period))
    .groupBy(referrals.milestone);
  return {
    reached: new Map(reachedRows.map((row) => [row.milestone, row.n])),
    current: new Map(currentRows.map((row) => [row.milestone, row.n])),
  };
}

/** Referrals a program received per UTC day of the period (days without any left out). */
export async function referralsPerDay(
  db: Db,
  workspaceId: string,
  programId: string,
  period: Period,
): Promise<Array<{ day: string; count: number }>> {
  const day = sql<string>`to_char(${referrals.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const rows = await db
    .select({ day, n: count() })
    .from(referrals)
    .where(createdIn(workspaceId, programId, period))
    .groupBy(day)
    .orderBy(day);
  return rows.map((row) => ({ day: row.day, count: row.n }));
}
