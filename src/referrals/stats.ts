import { and, count, countDistinct, eq, exists, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
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

/**
 * Per member of a program: its referrals, and how many of them ever reached a milestone in
 * `qualified` and in `won` (milestone codes), now or earlier in their history, so a later
 * move back does not take a referral out. `period` bounds the referrals by creation.
 */
export async function reachedCountsByMember(
  db: Db,
  workspaceId: string,
  programId: string,
  options: { qualified: string[]; won: string[]; memberId?: string | undefined; period?: Period | undefined },
): Promise<Array<{ memberId: string | null; referrals: number; qualified: number; won: number }>> {
  const conditions: SQL[] = [eq(referrals.workspaceId, workspaceId), eq(referrals.programId, programId)];
  if (options.memberId) conditions.push(eq(referrals.memberId, options.memberId));
  if (options.period) {
    conditions.push(
      gte(referrals.createdAt, options.period.from),
      lt(referrals.createdAt, options.period.to),
    );
  }
  const everAt = (codes: string[]) => {
    if (codes.length === 0) return sql<number>`0`;
    const earlier = db
      .select({ one: sql`1` })
      .from(milestoneChanges)
      .where(
        and(eq(milestoneChanges.referralId, referrals.id), inArray(milestoneChanges.toMilestone, codes)),
      );
    return sql<number>`cast(count(*) filter (where ${or(inArray(referrals.milestone, codes), exists(earlier))}) as int)`;
  };
  return db
    .select({
      memberId: referrals.memberId,
      referrals: count(),
      qualified: everAt(options.qualified),
      won: everAt(options.won),
    })
    .from(referrals)
    .where(and(...conditions))
    .groupBy(referrals.memberId);
}
