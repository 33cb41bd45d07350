import { z } from 'zod';
import { customFieldTypes } from './custom-fields.ts';

const faultStatus = z.union([z.literal(500), z.literal(503)]);

const outboundSettings = z.object({
  duplicateDelivery: z.boolean().optional(),
  timeScale: z.number().positive().max(1000).optional(),
  retryBaseSeconds: z.number().positive().optional(),
  retryCapSeconds: z.number().positive().optional(),
  giveUpAfterSeconds: z.number().positive().optional(),
});

export const newOrgBody = z
  .object({
    name: z.string().min(1).max(80).optional(),
    limits: z.object({ dailyApiRequests: z.number().int().positive().optional() }).optional(),
    redirectUris: z.array(z.url()).optional(),
    tokenLifetimeSeconds: z.number().int().positive().optional(),
    outbound: outboundSettings.optional(),
  })
  .default({});

export const updateOrgBody = z.object({
  name: z.string().min(1).max(80).optional(),
  redirectUris: z.array(z.url()).optional(),
  tokenLifetimeSeconds: z.number().int().positive().optional(),
});

export const limitsBody = z.object({
  dailyApiRequests: z.number().int().positive().optional(),
  /** Sets today's usage counter, e.g. to start a test just under the limit. */
  used: z.number().int().min(0).optional(),
});

export const faultsBody = z.object({
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  errorStatuses: z.array(faultStatus).min(1).optional(),
  forcedFailures: z.number().int().min(0).optional(),
  forcedStatus: faultStatus.optional(),
});

export const outageBody = z.object({ seconds: z.number().min(0).max(86_400) });

export const customFieldBody = z.object({
  object: z.string().min(1),
  name: z.string().min(1).max(40),
  label: z.string().min(1).max(40).optional(),
  type: z.enum(customFieldTypes),
  length: z.number().int().positive().max(131_072).optional(),
  precision: z.number().int().positive().max(18).optional(),
  scale: z.number().int().min(0).max(17).optional(),
  externalId: z.boolean().optional(),
  unique: z.boolean().optional(),
  required: z.boolean().optional(),
  picklistValues: z.array(z.string().min(1)).optional(),
  defaultValue: z.union([z.string(), z.number(), z.boolean()]).optional(),
});

const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const conditionBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('any-change') }),
  z.object({ kind: z.literal('created') }),
  z.object({
    kind: z.literal('field-equals'),
    field: z.string().min(1),
    value: fieldValue,
    /** Fire on every matching save instead of only when the record starts to match. */
    everyTime: z.boolean().default(false),
  }),
]);

export const outboundRuleBody = z.object({
  name: z.string().min(1).max(80).optional(),
  object: z.string().min(1),
  condition: conditionBody.default({ kind: 'any-change' }),
  fields: z.array(z.string().min(1)).default([]),
  endpointUrl: z.url(),
  active: z.boolean().default(true),
});

export const outboundRulePatch = z.object({
  name: z.string().min(1).max(80).optional(),
  condition: conditionBody.optional(),
  fields: z.array(z.string().min(1)).optional(),
  endpointUrl: z.url().optional(),
  active: z.boolean().optional(),
});

export { outboundSettings as outboundSettingsBody };

export const convertBody = z
  .object({
    convertedStatus: z.string().optional(),
    accountId: z.string().optional(),
    contactId: z.string().optional(),
    doNotCreateOpportunity: z.boolean().optional(),
    opportunityName: z.string().optional(),
  })
  .default({});
