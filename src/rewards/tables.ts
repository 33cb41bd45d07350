import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { members } from '../members/tables.ts';
import { programs } from '../programs/tables.ts';
import { referrals } from '../referrals/tables.ts';
import { workspaces } from '../workspaces/tables.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export type RewardRecipient = 'referrer' | 'referred';
export type RewardStatus = 'pending' | 'approved' | 'paid' | 'canceled' | 'failed';
export type FulfilmentMethod = 'manual' | 'coupon' | 'stripe' | 'tremendous';

/** How much a rule gives: a fixed sum, a share of a referral field, or points. */
export type RewardAmount =
  | { type: 'fixed'; currency: string; amountMinor: number }
  | { type: 'percentage'; currency: string; percent: number; field: string }
  | { type: 'points'; points: number };

/** When a referral reaches `milestone`, who gets what, through which fulfilment, within which limits. */
export const rewardRules = pgTable(
  'reward_rules',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    name: text('name').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    milestone: text('milestone').notNull(),
    recipient: text('recipient').$type<RewardRecipient | 'both'>().notNull(),
    amount: jsonb('amount').$type<RewardAmount>().notNull(),
    fulfilment: text('fulfilment').$type<FulfilmentMethod>().notNull(),
    /** Only a member's first N rewarded referrals (per recipient side); null: no limit. */
    firstReferrals: integer('first_referrals'),
    /** Most a member's side may get from this rule per calendar month (UTC), in the rule's unit. */
    monthlyCap: integer('monthly_cap'),
    approval: text('approval').$type<'auto' | 'manual'>().notNull(),
    holdDays: integer('hold_days').notNull().default(0),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('reward_rules_workspace_idx').on(t.workspaceId, t.id),
    index('reward_rules_program_idx').on(t.programId, t.milestone),
  ],
);

/**
 * The ledger: one row per referral, rule and recipient, enforced by a unique index, so a
 * redelivered event or a job run twice finds the row already there.
 */
export const rewards = pgTable(
  'rewards',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    ruleId: text('rule_id')
      .notNull()
      .references(() => rewardRules.id),
    referralId: text('referral_id')
      .notNull()
      .references(() => referrals.id),
    /** The referrer, whichever side is rewarded: limits and balances are counted on it. */
    memberId: text('member_id').references(() => members.id),
    recipient: text('recipient').$type<RewardRecipient>().notNull(),
    recipientEmail: text('recipient_email'),
    recipientName: text('recipient_name'),
    /** ISO currency (upper case), or null for points. */
    currency: text('currency'),
    /** Integer minor units (cents), or points. */
    amount: integer('amount').notNull(),
    fulfilment: text('fulfilment').$type<FulfilmentMethod>().notNull(),
    status: text('status').$type<RewardStatus>().notNull(),
    /** Why it is where it is: awaiting approval, a fraud guard, the provider's error text. */
    reason: text('reason'),
    needsManualApproval: boolean('needs_manual_approval').notNull().default(false),
    holdUntil: at('hold_until'),
    /** What the provider made: coupon code, Stripe balance transaction, Tremendous order. */
    fulfilmentRef: text('fulfilment_ref'),
    /** A payout in progress holds the reward until then, so two workers never pay at once. */
    payoutLeaseUntil: at('payout_lease_until'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('rewards_once_idx').on(t.referralId, t.ruleId, t.recipient),
    index('rewards_workspace_idx').on(t.workspaceId, t.id),
    index('rewards_member_idx').on(t.memberId, t.ruleId, t.createdAt),
    index('rewards_due_idx').on(t.holdUntil).where(sql`status = 'pending'`),
    // The stalled-payout sweep (src/rewards/payout.ts) reads these every minute.
    index('rewards_approved_idx').on(t.updatedAt).where(sql`status = 'approved'`),
  ],
);

/** Every state change of a reward: from, to, who or what, why. */
export const rewardEvents = pgTable(
  'reward_events',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    rewardId: text('reward_id')
      .notNull()
      .references(() => rewards.id),
    fromStatus: text('from_status').$type<RewardStatus>(),
    toStatus: text('to_status').$type<RewardStatus>().notNull(),
    actor: text('actor').notNull(),
    reason: text('reason'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('reward_events_reward_idx').on(t.rewardId, t.id)],
);

/** A rule's pool of coupon codes; a code belongs to at most one reward. */
export const couponCodes = pgTable(
  'coupon_codes',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    ruleId: text('rule_id')
      .notNull()
      .references(() => rewardRules.id),
    code: text('code').notNull(),
    rewardId: text('reward_id').references(() => rewards.id),
    assignedAt: at('assigned_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('coupon_codes_rule_code_idx').on(t.ruleId, t.code),
    uniqueIndex('coupon_codes_reward_idx').on(t.rewardId),
    index('coupon_codes_free_idx').on(t.ruleId, t.id).where(sql`reward_id is null`),
  ],
);

/** Per program: fraud guard options and payout credentials (sealed, never answered back). */
export const rewardSettings = pgTable('reward_settings', {
  programId: text('program_id')
    .primaryKey()
    .references(() => programs.id),
  workspaceId: text('workspace_id')
    .notNull()
    .references(() => workspaces.id),
  sameDomainGuard: boolean('same_domain_guard').notNull().default(false),
  stripeBaseUrl: text('stripe_base_url'),
  stripeKeySealed: text('stripe_key_sealed'),
  /** Member custom field holding the Stripe customer ID; email is the fallback. */
  stripeCustomerField: text('stripe_customer_field').notNull().default('stripeCustomerId'),
  tremendousBaseUrl: text('tremendous_base_url'),
  tremendousKeySealed: text('tremendous_key_sealed'),
  tremendousProductId: text('tremendous_product_id'),
  tremendousFundingSourceId: text('tremendous_funding_source_id'),
  updatedAt: at('updated_at').notNull().defaultNow(),
});
