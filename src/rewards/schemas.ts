import { z } from 'zod';

const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO currency code')
  .transform((value) => value.toUpperCase());

export const rewardAmountSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('fixed'),
    currency,
    amountMinor: z.number().int().min(1).max(100_000_000).describe('Integer minor units: 2500 is 25.00'),
  }),
  z.object({
    type: z.literal('percentage'),
    currency,
    percent: z.number().gt(0).max(100),
    field: z
      .string()
      .regex(
        /^referral\.(custom\.[A-Za-z][A-Za-z0-9_]{0,49}|[a-zA-Z]+)$/,
        'must be referral.custom.<key> or referral.<field>',
      )
      .describe('The referral field holding the amount in major units, e.g. referral.custom.dealAmount'),
  }),
  z.object({ type: z.literal('points'), points: z.number().int().min(1).max(100_000_000) }),
]);

const rewardAmountView = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fixed'), currency: z.string(), amountMinor: z.number() }),
  z.object({ type: z.literal('percentage'), currency: z.string(), percent: z.number(), field: z.string() }),
  z.object({ type: z.literal('points'), points: z.number() }),
]);

export const fulfilmentMethods = ['manual', 'coupon', 'stripe', 'tremendous'] as const;

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean().default(true),
  milestone: z.string().min(1).max(50).describe('Milestone code that triggers the reward'),
  recipient: z.enum(['referrer', 'referred', 'both']),
  amount: rewardAmountSchema,
  fulfilment: z.enum(fulfilmentMethods).default('manual'),
  firstReferrals: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe("Only a member's first N rewarded referrals"),
  monthlyCap: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe('Most per member per calendar month (UTC), in minor units or points'),
  approval: z.enum(['auto', 'manual']).default('auto'),
  holdDays: z.number().int().min(0).max(365).default(0),
};

export const createRuleBody = z.object({ programId: z.string().min(1), ...ruleFields });
export const updateRuleBody = z
  .object({
    name: ruleFields.name,
    enabled: z.boolean(),
    firstReferrals: z.number().int().min(1).nullable(),
    monthlyCap: z.number().int().min(1).nullable(),
    approval: ruleFields.approval.unwrap(),
    holdDays: z.number().int().min(0).max(365),
  })
  .partial();

export const ruleSchema = z.object({
  id: z.string(),
  programId: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  milestone: z.string(),
  recipient: z.enum(['referrer', 'referred', 'both']),
  amount: rewardAmountView,
  fulfilment: z.enum(fulfilmentMethods),
  firstReferrals: z.number().nullable(),
  monthlyCap: z.number().nullable(),
  approval: z.enum(['auto', 'manual']),
  holdDays: z.number(),
  couponsAvailable: z.number().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const secret = z.string().min(8).max(500);
const url = z.string().url().max(500);

export const rewardSettingsBody = z.object({
  sameDomainGuard: z.boolean().optional().describe('Hold referrals from the referrer’s own email domain'),
  stripe: z
    .object({
      baseUrl: url.default('https://api.stripe.com'),
      secretKey: secret,
      customerIdField: z.string().min(1).max(50).default('stripeCustomerId'),
    })
    .nullable()
    .optional(),
  tremendous: z
    .object({
      baseUrl: url.default('https://testflight.tremendous.com/api/v2'),
      apiKey: secret,
      productId: z.string().min(1).max(100),
      fundingSourceId: z.string().min(1).max(100).default('balance'),
    })
    .nullable()
    .optional(),
});

export const rewardSettingsSchema = z.object({
  programId: z.string(),
  sameDomainGuard: z.boolean(),
  stripe: z
    .object({ baseUrl: z.string(), customerIdField: z.string(), secretKeySet: z.literal(true) })
    .nullable(),
  tremendous: z
    .object({
      baseUrl: z.string(),
      productId: z.string(),
      fundingSourceId: z.string(),
      apiKeySet: z.literal(true),
    })
    .nullable(),
  updatedAt: z.string(),
});

export const rewardStatuses = ['pending', 'approved', 'paid', 'canceled', 'failed'] as const;

export const rewardEventSchema = z.object({
  from: z.enum(rewardStatuses).nullable(),
  to: z.enum(rewardStatuses),
  actor: z.string(),
  reason: z.string().nullable(),
  at: z.string(),
});

export const rewardSchema = z.object({
  id: z.string(),
  programId: z.string(),
  ruleId: z.string(),
  referralId: z.string(),
  memberId: z.string().nullable(),
  recipient: z.enum(['referrer', 'referred']),
  recipientEmail: z.string().nullable(),
  recipientName: z.string().nullable(),
  currency: z.string().nullable().describe('Null for points'),
  amount: z.number().describe('Integer minor units, or points'),
  fulfilment: z.enum(fulfilmentMethods),
  status: z.enum(rewardStatuses),
  reason: z.string().nullable(),
  needsManualApproval: z.boolean(),
  holdUntil: z.string().nullable(),
  fulfilmentRef: z.string().nullable().describe('Coupon code, Stripe balance transaction, Tremendous order'),
  attempts: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  history: z.array(rewardEventSchema).optional(),
});

export const listRewardsQuery = z.object({
  programId: z.string().optional(),
  memberId: z.string().optional(),
  referralId: z.string().optional(),
  ruleId: z.string().optional(),
  status: z.enum(rewardStatuses).optional(),
});

export const balanceSchema = z.object({
  memberId: z.string(),
  balances: z.array(
    z.object({
      currency: z.string().nullable().describe('Null: points'),
      pending: z.number(),
      approved: z.number(),
      paid: z.number(),
    }),
  ),
});

export type CreateRuleInput = z.infer<typeof createRuleBody>;
export type UpdateRuleInput = z.infer<typeof updateRuleBody>;
export type RuleView = z.infer<typeof ruleSchema>;
export type RewardSettingsInput = z.infer<typeof rewardSettingsBody>;
export type RewardSettingsView = z.infer<typeof rewardSettingsSchema>;
export type RewardView = z.infer<typeof rewardSchema>;
export type ListRewardsFilter = z.infer<typeof listRewardsQuery>;
