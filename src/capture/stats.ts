import { and, count, eq, gte, lt, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import type { ProgramRow } from '../programs/service.ts';
import { milestoneKindOf } from '../referrals/milestone-rules.ts';
import { referralCountsByMember } from '../referrals/service.ts';
import { captureClicks } from './tables.ts';

export const funnelSchema = z.object({
  clicks: z.number().describe('Visits of referral links by people (bots not counted)'),
  referrals: z.number().describe('Referrals created, from any source'),
  qualified: z.number().describe('Referrals now at a qualified or approved milestone'),
  won: z.number().describe('Referrals now at an approved milestone'),
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

/** click → referral → qualified → won, for a program and each of its members (or one member). */
export async function funnel(
  db: Db,
  program: ProgramRow,
  options: { memberId?: string; clicksSince?: string | undefined; clicksUntil?: string | undefined } = {},
): Promise<{ total: Funnel; members: MemberFunnel[] }> {
  const conditions: SQL[] = [eq(captureClicks.programId, program.id)];
  if (options.memberId) conditions.push(eq(captureClicks.memberId, options.memberId));
  if (options.clicksSince) conditions.push(gte(captureClicks.createdAt, new Date(options.clicksSince)));
  if (options.clicksUntil) conditions.push(lt(captureClicks.createdAt, new Date(options.clicksUntil)));
  const clicks = await db
    .select({ memberId: captureClicks.memberId, count: count() })
    .from(captureClicks)
    .where(and(...conditions))
    .groupBy(captureClicks.memberId);
  const referrals = await referralCountsByMember(db, program.workspaceId, program.id, options.memberId);
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
    const kind = milestoneKindOf(program.milestones, row.milestone);
    const add = (entry: Funnel) => {
      entry.referrals += row.count;
      if (kind === 'qualified' || kind === 'approved') entry.qualified += row.count;
      if (kind === 'approved') entry.won += row.count;
    };
    add(total);
    if (row.memberId) add(of(row.memberId));
  }
  const members = [...byMember.values()].sort((a, b) => b.referrals - a.referrals || b.clicks - a.clicks);
  return { total, members };
}
