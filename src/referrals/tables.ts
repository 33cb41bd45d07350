import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from '../db/columns.ts';
import { members } from '../members/tables.ts';
import { programs } from '../programs/tables.ts';
import { workspaces } from '../workspaces/tables.ts';

export const referrals = pgTable(
  'referrals',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    memberId: text('member_id').references(() => members.id),
    firstName: text('first_name'),
    lastName: text('last_name'),
    /**
     * `lastName` normalised (src/core/text-keys.ts): how fuzzy matching finds candidates by
     * name. Null for rows written before it existed whose name is not plain ASCII.
     */
    lastNameKey: text('last_name_key'),
    email: text('email'),
    /**
     * `email` normalised (`normalizeEmail` in src/core/text-keys.ts): how fuzzy matching finds
     * the referral of an email. Null for rows written before it existed whose email is not
     * plain ASCII.
     */
    emailKey: text('email_key'),
    company: text('company'),
    phone: text('phone'),
    source: text('source'),
    sourceNote: text('source_note'),
    externalId: text('external_id'),
    customFields: jsonb('custom_fields').$type<Record<string, unknown>>().notNull(),
    milestone: text('milestone').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('referrals_workspace_idx').on(t.workspaceId, t.id),
    index('referrals_program_idx').on(t.programId, t.id),
    index('referrals_member_idx').on(t.memberId),
    index('referrals_email_idx').on(t.workspaceId, sql`lower(${t.email})`),
    index('referrals_last_name_key_idx').on(t.programId, t.lastNameKey),
    index('referrals_email_key_idx').on(t.workspaceId, t.emailKey),
    // The few rows the key could not be filled for when it was added (see `emailKey`).
    index('referrals_email_unkeyed_idx')
      .on(t.workspaceId)
      .where(sql`${t.emailKey} is null and ${t.email} is not null`),
    index('referrals_external_idx').on(t.workspaceId, t.externalId),
    index('referrals_updated_idx').on(t.workspaceId, t.updatedAt),
  ],
);

export const milestoneChanges = pgTable(
  'milestone_changes',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    referralId: text('referral_id')
      .notNull()
      .references(() => referrals.id),
    fromMilestone: text('from_milestone'),
    toMilestone: text('to_milestone').notNull(),
    /** Who or what moved it: `api_key:<id>`, `crm:<connection>`, `system`. */
    actor: text('actor').notNull(),
    reason: text('reason'),
    /** Shown to the referrer. */
    feedback: text('feedback'),
    overrodeDenied: boolean('overrode_denied').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index('milestone_changes_referral_idx').on(t.referralId, t.id)],
);
