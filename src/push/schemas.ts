import { z } from 'zod';

export const existingPolicies = [
  'do_nothing',
  'fill_blank',
  'overwrite',
  'deny',
  'create_duplicate',
] as const;

export const mappingSchema = z
  .object({
    crmField: z.string().min(1).max(255),
    from: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('referral.company, referral.custom.<key>, member.email, ...'),
    value: z
      .union([z.string().max(2000), z.number(), z.boolean()])
      .optional()
      .describe('A fixed value; with from, the value used when the source is empty'),
  })
  .refine((mapping) => mapping.from !== undefined || mapping.value !== undefined, {
    message: 'give from, value, or both',
    path: ['from'],
  });

export const systemFieldsSchema = z
  .object({
    referralId: z.string().min(1),
    source: z.string().min(1),
    sourceNote: z.string().min(1),
    referralUrl: z.string().min(1),
    memberUrl: z.string().min(1),
  })
  .partial();

const settingsFields = {
  enabled: z.boolean().default(true),
  crmObject: z.string().min(1).describe('Salesforce Lead or Contact; HubSpot contacts'),
  mappings: z
    .array(mappingSchema)
    .max(200)
    .default([])
    .describe('Added to the standard name/email/company mappings'),
  systemFields: systemFieldsSchema.optional().describe('CRM fields for the values refsync always writes'),
  existingPolicy: z
    .enum(existingPolicies)
    .default('do_nothing')
    .describe('When the email already matches a CRM record'),
  denyGraceMinutes: z
    .number()
    .int()
    .min(0)
    .max(10_080)
    .default(60)
    .describe('With policy deny: records created this recently are not a reason to deny (default 60)'),
  campaignId: z
    .string()
    .min(1)
    .nullable()
    .optional()
    .describe('Salesforce Campaign to add pushed records to'),
  deal: z
    .object({ pipeline: z.string().min(1), stage: z.string().min(1), name: z.string().min(1).max(255) })
    .nullable()
    .optional()
    .describe('HubSpot: also create a deal in this pipeline and stage, associated with the contact'),
};

export const createPushSettingsBody = z.object({
  programId: z.string().min(1),
  connectionId: z.string().min(1),
  subject: z.enum(['referral', 'member']).default('referral'),
  ...settingsFields,
});

export const updatePushSettingsBody = z.object({
  enabled: settingsFields.enabled.optional(),
  crmObject: settingsFields.crmObject.optional(),
  mappings: z.array(mappingSchema).max(200).optional(),
  systemFields: settingsFields.systemFields,
  existingPolicy: z.enum(existingPolicies).optional(),
  denyGraceMinutes: z.number().int().min(0).max(10_080).optional(),
  campaignId: settingsFields.campaignId,
  deal: settingsFields.deal,
});

export const pushSettingsSchema = z.object({
  id: z.string(),
  programId: z.string(),
  connectionId: z.string(),
  subject: z.enum(['referral', 'member']),
  enabled: z.boolean(),
  crmObject: z.string(),
  mappings: z.array(
    z.object({
      crmField: z.string(),
      from: z.string().optional(),
      value: z.union([z.string(), z.number(), z.boolean()]).optional(),
    }),
  ),
  systemFields: z.record(z.string(), z.string()),
  existingPolicy: z.enum(existingPolicies),
  denyGraceMinutes: z.number(),
  campaignId: z.string().nullable(),
  deal: z.object({ pipeline: z.string(), stage: z.string(), name: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const pushLogSchema = z.object({
  id: z.string(),
  settingsId: z.string(),
  connectionId: z.string(),
  subject: z.enum(['referral', 'member']),
  subjectId: z.string(),
  action: z.enum(['created', 'updated', 'skipped', 'denied', 'failed', 'waiting']),
  crmObject: z.string().nullable(),
  crmId: z.string().nullable(),
  crmUrl: z.string().nullable(),
  crmCode: z.string().nullable(),
  message: z.string().nullable(),
  retryable: z.boolean(),
  createdAt: z.string(),
});

export type CreatePushSettingsInput = z.infer<typeof createPushSettingsBody>;
export type UpdatePushSettingsInput = z.infer<typeof updatePushSettingsBody>;
