import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from '../db/columns.ts';
import { workspaces } from '../workspaces/tables.ts';

export interface MilestoneDefinition {
  code: string;
  label: string;
  kind: 'pending' | 'qualified' | 'approved' | 'denied';
}

export interface CustomFieldDefinition {
  key: string;
  label: string;
  type: 'text' | 'number' | 'boolean' | 'date' | 'email' | 'url';
  required: boolean;
}

export const programs = pgTable(
  'programs',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    /** Where a member's referral link points; the referral code is added as `?ref=`. */
    referralLinkBase: text('referral_link_base'),
    milestones: jsonb('milestones').$type<MilestoneDefinition[]>().notNull(),
    memberFields: jsonb('member_fields').$type<CustomFieldDefinition[]>().notNull(),
    referralFields: jsonb('referral_fields').$type<CustomFieldDefinition[]>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('programs_workspace_idx').on(t.workspaceId, t.id)],
);
