import { and, count, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import type { ProgramRow } from '../programs/service.ts';
import { reachedCountsByMember } from '../referrals/stats.ts';
import { captureClickDays, captureClicks } from './tables.ts';

export const funnelSchema = z.object({
  clicks: z.number().describe('Visits of referral links by people (bots not counted)'),
  referrals: z.number().describe('Referrals created, from any source'),
  qualified: z
    .number()
    .describe('Referrals that ever reached a qualified or approved milestone (a later move back keeps them)'),
  won: z.number().describe('Referrals that ever reached an approved milestone'),
});

export const memberFunnelSchema = funnelSchema.extend({ memberId: z.string() });

export const programStatsSchema = funnelSchema.extend({
  programId: z.string(),
  members: z.array(memberFunnelSchema).describe('Members with any click or referral, most referrals first'),
});

export type Funnel = z.infer<typeof funnelSchema>;
export type MemberFunnel = z.infer<typeof memberFunnelSchema>;

export const statsQuery = z.object({
  clicksSince: z.iso.datetime({ offset: true }).optional().describe('Count clicks from this time on'),
  clicksUntil: z.iso.datetime({ offset: true }).optional().describe('Count clicks before this time'),
});

const empty = (): Funnel => ({ clicks: 0, referrals: 0, qualified: 0, won: 0 });

const dayMs = 24 * 3600 * 1000;
/** The first UTC day that starts at or after `time`, as YYYY-MM-DD. */
const dayFrom = (time: Date) =>
  new Date(Math.ceil(time.getTime() / dayMs) * dayMs).toISOString().slice(0, 10);

export interface FunnelOptions {
  memberId?: string | undefined;
  clicksSince?: string | undefined;
  clicksUntil?: string | undefined;
  /** Clicks in the period, and of the referrals created in it (the dashboard's view). */
  period?: { from: Date; to: Date } | undefined;
}

/**
 * Clicks per member: rows within the bounds, plus the per-day counts of pruned clicks whose
 * UTC day starts within them (pruned clicks are known only by day).
 */
async function clicksByMember(db: Db, programId: string, options: FunnelOptions) {
  const since = options.period?.from ?? (options.clicksSince ? new Date(options.clicksSince) : undefined);
  const until = options.period?.to ?? (options.clicksUntil ? new Date(options.clicksUntil) : undefined);
  const rowConditions: SQL[] = [eq(captureClicks.programId, programId)];
  const dayConditions: SQL[] = [eq(captureClickDays.programId, programId)];
  if (options.memberId) {
    rowConditions.push(eq(captureClicks.memberId, options.memberId));
    dayConditions.push(eq(captureClickDays.memberId, options.memberId));
  }
  if (since) {
    rowConditions.push(gte(captureClicks.createdAt, since));
    dayConditions.push(gte(captureClickDays.day, dayFrom(since)));
  }
  if (until) {
    rowConditions.push(lt(captureClicks.createdAt, until));
    dayConditions.push(lt(captureClickDays.day, dayFrom(until)));
  }
  const rows = await db
    .select({ memberId: captureClicks.memberId, count: count() })
    .from(captureClicks)
    .where(and(...rowConditions))
    .groupBy(captureClicks.memberId);
  const days = await db
    .select({
      memberId: captureClickDays.memberId,
      count: sql<number>`cast(sum(${captureClickDays.clicks}) as int)`,
    })
    .from(captureClickDays)
    .where(and(...dayConditions))
    .groupBy(captureClickDays.memberId);
  return [...rows, ...days];
}

/** click → referral → qualified → won, for a program and each of its members (or one member). */
export async function funnel(
  db: Db,
  program: Pick<ProgramRow, 'id' | 'workspaceId' | 'milestones'>,
  options: FunnelOptions = {},
): Promise<{ total: Funnel; members: MemberFunnel[] }> {
  const codesOf = (kinds: string[]) =>
    program.milestones
      .filter((milestone) => kinds.includes(milestone.kind))
      .map((milestone) => milestone.code);
  const clicks = await clicksByMember(db, program.id, options);
  const referrals = await reachedCountsByMember(db, program.workspaceId, program.id, {
    qualified: codesOf(['qualified', 'approved']),
    won: codesOf(['approved']),
    memberId: options.memberId,
    period: options.period,
  });
  const total = empty();
  const byMember = new Map<string, MemberFunnel>();
  const of = (memberId: string) => {
    let entry = byMember.get(memberId);
    if (!entry) {
      entry = { memberId, ...empty() };
      byMember.set(memberId, entry);
    }
    return entry;
  };
  for (const row of clicks) {
    total.clicks += row.count;
    of(row.memberId).clicks += row.count;
  }
  for (const row of referrals) {
    const add = (entry: Funnel) => {
      entry.referrals += row.referrals;
      entry.qualified += row.qualified;
      entry.won += row.won;
    };
    add(total);
    if (row.memberId) add(of(row.memberId));
  }
  const members = [...byMember.values()].sort((a, b) => b.referrals - a.referrals || b.clicks - a.clicks);
  return { total, members };
}
