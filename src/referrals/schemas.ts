import { z } from 'zod';
import { milestoneKinds } from '../programs/schemas.ts';

/** A referral's own descriptive fields: what updates (API, CRM field updates) may write. */
export const referralDetailFields = [
  'firstName',
  'lastName',
  'email',
  'company',
  'phone',
  'source',
  'sourceNote',
  'externalId',
] as const;
export type ReferralDetailField = (typeof referralDetailFields)[number];

const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

const referralFields = {
  firstName: optionalText(100),
  lastName: optionalText(100),
  email: z.string().trim().email().max(254).nullable().optional(),
  company: optionalText(255),
  phone: optionalText(50),
  source: optionalText(100),
  sourceNote: optionalText(2000),
  externalId: optionalText(255),
  memberId: z.string().min(1).nullable().optional().describe('The referring member'),
  referralCode: z.string().min(1).optional().describe("The referring member's code (instead of memberId)"),
  customFields: z.record(z.string(), z.unknown()).optional(),
};

export const createReferralBody = z
  .object({
    programId: z.string().min(1),
    milestone: z.string().min(1).optional().describe("Starting milestone; default the program's first"),
    ...referralFields,
  })
  .refine((body) => Boolean(body.email || body.firstName || body.lastName), {
    message: 'a referral needs an email, a firstName or a lastName',
    path: ['email'],
  });

export const updateReferralBody = z.object(referralFields);

export const milestoneBody = z.object({
  milestone: z.string().min(1),
  reason: z.string().trim().max(2000).optional(),
  feedback: z.string().trim().max(2000).optional().describe('Shown to the referrer'),
  overrideDenied: z.boolean().default(false).describe('Allow moving a denied referral'),
});

export const milestoneChangeSchema = z.object({
  id: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  feedback: z.string().nullable(),
  overrodeDenied: z.boolean(),
  createdAt: z.string(),
});

export const referralSchema = z.object({
  id: z.string(),
  programId: z.string(),
  memberId: z.string().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  company: z.string().nullable(),
  phone: z.string().nullable(),
  source: z.string().nullable(),
  sourceNote: z.string().nullable(),
  externalId: z.string().nullable(),
  customFields: z.record(z.string(), z.unknown()),
  milestone: z.string(),
  milestoneKind: z.enum(milestoneKinds),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const referralDetailSchema = referralSchema.extend({
  history: z.array(milestoneChangeSchema),
  crmRecords: z
    .array(
      z.object({
        connectionId: z.string(),
        crmObject: z.string(),
        crmId: z.string(),
        dealId: z.string().nullable(),
        url: z.string().nullable().describe('Opens the record in the CRM'),
      }),
    )
    .describe('The CRM records this referral was pushed as'),
  rewards: z
    .array(
      z.object({
        id: z.string(),
        ruleId: z.string(),
        recipient: z.enum(['referrer', 'referred']),
        status: z.string(),
        currency: z.string().nullable(),
        amount: z.number(),
        reason: z.string().nullable(),
      }),
    )
    .describe('Rewards this referral earned (details: GET /rewards/{id})'),
});

export const listReferralsQuery = z.object({
  programId: z.string().optional(),
  memberId: z.string().optional(),
  milestone: z.string().optional(),
  email: z.string().optional().describe('Matched case-insensitively'),
  externalId: z.string().optional(),
  updatedSince: z.iso.datetime({ offset: true }).optional(),
  createdFrom: z.iso.date().optional().describe('Created on or after this day (UTC, YYYY-MM-DD)'),
  createdTo: z.iso.date().optional().describe('Created on or before this day (UTC, YYYY-MM-DD)'),
  q: z.string().trim().min(1).max(200).optional().describe('Text in the name, email, company or external ID'),
});

export type CreateReferralInput = z.infer<typeof createReferralBody>;
export type UpdateReferralInput = z.infer<typeof updateReferralBody>;
export type MilestoneInput = z.infer<typeof milestoneBody>;
export type ReferralView = z.infer<typeof referralSchema>;
export type MilestoneChangeView = z.infer<typeof milestoneChangeSchema>;
export type ListReferralsFilter = z.infer<typeof listReferralsQuery>;
