import { z } from 'zod';
import { milestoneKinds } from '../programs/schemas.ts';

export const dashboardQuery = z.object({
  programId: z.string().optional().describe('The program whose funnel to show; default the newest'),
  from: z.iso.date().optional().describe('First day (UTC, YYYY-MM-DD); default 29 days before `to`'),
  to: z.iso.date().optional().describe('Last day, included (UTC, YYYY-MM-DD); default today'),
});

export const dashboardSchema = z.object({
  programId: z.string().nullable().describe('null when the workspace has no program yet'),
  from: z.string(),
  to: z.string(),
  funnel: z
    .array(
      z.object({
        milestone: z.string(),
        label: z.string(),
        kind: z.enum(milestoneKinds),
        reached: z.number().int().describe('Referrals of the period that ever reached this milestone'),
        current: z.number().int().describe('Referrals of the period at this milestone now'),
      }),
    )
    .describe("In the program's milestone order"),
  capture: z
    .object({
      clicks: z.number().int().describe('Referral link visits in the period (bots not counted)'),
      referrals: z.number().int().describe('Referrals created in the period, from any source'),
      qualified: z
        .number()
        .int()
        .describe('Of those, how many ever reached a qualified or approved milestone'),
      won: z.number().int().describe('Of those, how many ever reached an approved milestone'),
    })
    .describe("The program's capture funnel for the period: click → referral → qualified → won"),
  referralsPerDay: z
    .array(z.object({ day: z.string(), count: z.number().int() }))
    .describe('Every day of the period'),
  salesEntries: z
    .array(z.object({ status: z.string(), count: z.number().int() }))
    .describe('Sales entries received in the period, per outcome'),
  connections: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      provider: z.string(),
      status: z.string(),
      lastSuccessAt: z.string().nullable(),
      lastErrorAt: z.string().nullable(),
      lastError: z.string().nullable(),
      lastEntryAt: z.string().nullable(),
    }),
  ),
});

export type DashboardQuery = z.infer<typeof dashboardQuery>;
export type DashboardView = z.infer<typeof dashboardSchema>;
