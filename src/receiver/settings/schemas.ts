import { z } from 'zod';

export const targetMatchOn = ['referralId', 'externalId'] as const;
export const memberMatchOn = ['referralCode', 'memberEmail', 'memberExternalId', 'memberId'] as const;
export const contactMatchings = ['triggered_only', 'include_account_contacts'] as const;

const objectName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .describe('CRM object: Lead, Opportunity, contacts, deals, ...');
const fieldName = z.string().trim().min(1).max(255).describe('Field API name (not its label)');

export const statusTriggerSchema = z.object({
  object: objectName,
  field: fieldName,
  value: z.string().max(1000).describe('Compared with the field value as text, case-sensitively'),
  milestone: z.string().min(1).describe('Milestone code the referral moves to'),
  allowBackward: z
    .boolean()
    .optional()
    .describe('Let this trigger move a referral back to an earlier milestone (default false)'),
});

export const fieldUpdateSchema = z.object({
  object: objectName,
  field: fieldName,
  target: z
    .string()
    .min(1)
    .describe(
      'referral.<firstName|lastName|email|company|phone|source|sourceNote|externalId> or referral.custom.<key>',
    ),
});

export const targetMatchSchema = z.object({
  object: objectName,
  field: fieldName,
  matchOn: z.enum(targetMatchOn),
});

export const memberMatchSchema = z.object({
  object: objectName,
  field: fieldName,
  matchOn: z.enum(memberMatchOn),
});

export const processRulesSchema = z.object({
  autoProcessDirect: z
    .boolean()
    .default(true)
    .describe('Apply direct matches (referral ID, external ID) at once (default true)'),
  autoProcessFuzzy: z
    .boolean()
    .default(true)
    .describe('Apply fuzzy matches (email, name and company) at once (default true)'),
  reviewWhenNoMemberMatch: z
    .boolean()
    .default(false)
    .describe('Send to review when no referral and no member matches (default false)'),
  reviewDeniedToPositive: z
    .boolean()
    .default(false)
    .describe('Send to review when a denied referral would become qualified or approved (default false)'),
  notifyOnReview: z
    .boolean()
    .default(false)
    .describe('Record a sales_entry.review_needed event (default false)'),
});

const settingsFields = {
  enabled: z.boolean().default(true),
  statusTriggers: z
    .array(statusTriggerSchema)
    .max(100)
    .default([])
    .describe('First matching trigger in order wins'),
  allowOverrideDenied: z
    .boolean()
    .default(false)
    .describe('Let the CRM move a denied referral (default false)'),
  fieldUpdates: z.array(fieldUpdateSchema).max(200).default([]),
  updateContactDetails: z
    .boolean()
    .default(false)
    .describe("Update the referral's name, email, phone and company from the CRM (default false)"),
  targetMatch: z.array(targetMatchSchema).max(50).default([]),
  fuzzyMatch: z
    .boolean()
    .default(true)
    .describe('Match on email, then name and company, when no direct match (default true)'),
  contactMatching: z.enum(contactMatchings).default('triggered_only'),
  memberMatch: z.array(memberMatchSchema).max(50).default([]),
  processRules: processRulesSchema.default({
    autoProcessDirect: true,
    autoProcessFuzzy: true,
    reviewWhenNoMemberMatch: false,
    reviewDeniedToPositive: false,
    notifyOnReview: false,
  }),
};

export const createReceiverSettingsBody = z.object({
  programId: z.string().min(1),
  connectionId: z.string().min(1).nullable().default(null).describe('Null: entries sent through the API'),
  ...settingsFields,
});

export const updateReceiverSettingsBody = z.object({
  enabled: z.boolean().optional(),
  statusTriggers: z.array(statusTriggerSchema).max(100).optional(),
  allowOverrideDenied: z.boolean().optional(),
  fieldUpdates: z.array(fieldUpdateSchema).max(200).optional(),
  updateContactDetails: z.boolean().optional(),
  targetMatch: z.array(targetMatchSchema).max(50).optional(),
  fuzzyMatch: z.boolean().optional(),
  contactMatching: z.enum(contactMatchings).optional(),
  memberMatch: z.array(memberMatchSchema).max(50).optional(),
  processRules: processRulesSchema.partial().optional(),
});

export const receiverSettingsSchema = z.object({
  id: z.string(),
  programId: z.string(),
  connectionId: z.string().nullable(),
  enabled: z.boolean(),
  statusTriggers: z.array(
    z.object({
      object: z.string(),
      field: z.string(),
      value: z.string(),
      milestone: z.string(),
      allowBackward: z.boolean(),
    }),
  ),
  allowOverrideDenied: z.boolean(),
  fieldUpdates: z.array(z.object({ object: z.string(), field: z.string(), target: z.string() })),
  updateContactDetails: z.boolean(),
  targetMatch: z.array(z.object({ object: z.string(), field: z.string(), matchOn: z.string() })),
  fuzzyMatch: z.boolean(),
  contactMatching: z.enum(contactMatchings),
  memberMatch: z.array(z.object({ object: z.string(), field: z.string(), matchOn: z.string() })),
  processRules: z.object({
    autoProcessDirect: z.boolean(),
    autoProcessFuzzy: z.boolean(),
    reviewWhenNoMemberMatch: z.boolean(),
    reviewDeniedToPositive: z.boolean(),
    notifyOnReview: z.boolean(),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type CreateReceiverSettingsInput = z.infer<typeof createReceiverSettingsBody>;
export type UpdateReceiverSettingsInput = z.infer<typeof updateReceiverSettingsBody>;
export type ReceiverSettingsView = z.infer<typeof receiverSettingsSchema>;
