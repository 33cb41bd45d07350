import { sql } from 'drizzle-orm';
import {
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from '../db/columns.ts';
import { members } from '../members/tables.ts';
import { programs } from '../programs/tables.ts';
import { workspaces } from '../workspaces/tables.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Words a program's hosted pages show; each has a default (see settings.ts). */
export interface CaptureTexts {
  referTitle?: string;
  referIntro?: string;
  joinTitle?: string;
  joinIntro?: string;
  consent?: string;
  thanks?: string;
}

/** How a program captures referrals: where links land, how long a click counts, who may post. */
export const captureSettings = pgTable('capture_settings', {
  programId: text('program_id')
    .primaryKey()
    .references(() => programs.id),
  workspaceId: text('workspace_id')
    .notNull()
    .references(() => workspaces.id),
  landingUrl: text('landing_url'),
  attributionDays: integer('attribution_days').notNull().default(30),
  allowedOrigins: jsonb('allowed_origins').$type<string[]>().notNull(),
  hostedPages: text('hosted_pages').$type<'off' | 'refer' | 'refer_and_join'>().notNull().default('off'),
  brandName: text('brand_name'),
  logoUrl: text('logo_url'),
  color: text('color'),
  texts: jsonb('texts').$type<CaptureTexts>().notNull(),
  updatedAt: updatedAt(),
});

/** One counted visit of a member's link; the address is kept only as a keyed hash. */
export const captureClicks = pgTable(
  'capture_clicks',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    programId: text('program_id').notNull(),
    memberId: text('member_id').notNull(),
    ipHash: text('ip_hash').notNull(),
    userAgent: text('user_agent'),
    referrer: text('referrer'),
    createdAt: createdAt(),
  },
  (t) => [
    index('capture_clicks_program_idx').on(t.programId, t.createdAt),
    index('capture_clicks_member_idx').on(t.memberId),
    // Pruning finds the clicks past the retention period across programs.
    index('capture_clicks_created_idx').on(t.createdAt),
  ],
);

/** Clicks past the retention period, folded into a count per member and UTC day before deletion. */
export const captureClickDays = pgTable(
  'capture_click_days',
  {
    programId: text('program_id').notNull(),
    memberId: text('member_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    clicks: integer('clicks').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.programId, t.memberId, t.day] }),
    index('capture_click_days_member_idx').on(t.memberId),
  ],
);

/** A program's publishable key: public by design, so kept as it is; revoking it ends it. */
export const publishableKeys = pgTable(
  'publishable_keys',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    key: text('key').notNull(),
    name: text('name').notNull(),
    createdAt: createdAt(),
    revokedAt: at('revoked_at'),
  },
  (t) => [
    uniqueIndex('publishable_keys_key_idx').on(t.key),
    index('publishable_keys_program_idx').on(t.programId, t.id),
  ],
);

/** Fixed-window counters shared by every process (per address, per key). */
export const captureRateCounters = pgTable(
  'capture_rate_counters',
  {
    bucket: text('bucket').notNull(),
    windowStart: at('window_start').notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.windowStart] })],
);

/** A sign-in link of the referrer portal: only its hash is kept; single use, short-lived. */
export const portalLinks = pgTable(
  'portal_links',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    memberId: text('member_id')
      .notNull()
      .references(() => members.id),
    tokenHash: text('token_hash').notNull(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('portal_links_token_idx').on(t.tokenHash)],
);

/** A signed-in referrer: the cookie holds the token, the table its hash. */
export const portalSessions = pgTable(
  'portal_sessions',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    memberId: text('member_id')
      .notNull()
      .references(() => members.id),
    tokenHash: text('token_hash').notNull(),
    expiresAt: at('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('portal_sessions_token_idx').on(t.tokenHash)],
);

/** A captured referral a person must look at first (a member referring themselves). */
export const captureReviews = pgTable(
  'capture_reviews',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    memberId: text('member_id')
      .notNull()
      .references(() => members.id),
    via: text('via').$type<'form' | 'script'>().notNull(),
    email: text('email').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    company: text('company'),
    note: text('note'),
    reason: text('reason').notNull(),
    status: text('status').$type<'review' | 'accepted' | 'rejected'>().notNull(),
    referralId: text('referral_id'),
    createdAt: createdAt(),
    decidedAt: at('decided_at'),
  },
  (t) => [
    index('capture_reviews_program_idx').on(t.programId, t.id),
    index('capture_reviews_email_idx').on(t.programId, sql`lower(${t.email})`),
  ],
);
