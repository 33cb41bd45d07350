import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from '../db/columns.ts';
import { programs } from '../programs/tables.ts';
import { workspaces } from '../workspaces/tables.ts';

export const members = pgTable(
  'members',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    firstName: text('first_name'),
    lastName: text('last_name'),
    email: text('email'),
    phone: text('phone'),
    externalId: text('external_id'),
    referralCode: text('referral_code').notNull(),
    /**
     * `lower(referralCode)` when this member alone has the code across the install (every code
     * given since codes became install-wide); null for the older codes several programs share.
     */
    referralCodeKey: text('referral_code_key'),
    customFields: jsonb('custom_fields').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('members_program_code_idx').on(t.programId, sql`lower(${t.referralCode})`),
    uniqueIndex('members_program_email_idx').on(t.programId, sql`lower(${t.email})`),
    uniqueIndex('members_program_external_idx').on(t.programId, t.externalId),
    index('members_workspace_idx').on(t.workspaceId, t.id),
    index('members_email_idx').on(t.workspaceId, sql`lower(${t.email})`),
    index('members_external_idx').on(t.workspaceId, t.externalId),
    // Short referral links (`/r/{code}`) name a member by code alone.
    index('members_code_idx').on(sql`lower(${t.referralCode})`),
    // One holder per code across the install; the shared older codes (null) are let be.
    uniqueIndex('members_code_key_idx').on(t.referralCodeKey),
  ],
);
