import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { connections } from '../connections/tables.ts';
import { createdAt, updatedAt } from '../db/columns.ts';
import { programs } from '../programs/tables.ts';
import { workspaces } from '../workspaces/tables.ts';

export interface PushMapping {
  crmField: string;
  /** `referral.company`, `referral.custom.seats`, `member.email`, ... */
  from?: string | undefined;
  /** A fixed value instead of `from`. */
  value?: string | number | boolean | undefined;
}

export type ExistingRecordPolicy = 'do_nothing' | 'fill_blank' | 'overwrite' | 'deny' | 'create_duplicate';

/** Referral add: how one program's referrals (or members) are pushed through one connection. */
export const pushSettings = pgTable(
  'push_settings',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id),
    subject: text('subject').$type<'referral' | 'member'>().notNull(),
    enabled: boolean('enabled').notNull(),
    crmObject: text('crm_object').notNull(),
    mappings: jsonb('mappings').$type<PushMapping[]>().notNull(),
    systemFields: jsonb('system_fields').$type<Record<string, string>>().notNull(),
    existingPolicy: text('existing_policy').$type<ExistingRecordPolicy>().notNull(),
    /** Policy deny leaves records younger than this alone (another integration may have made them). */
    denyGraceMinutes: integer('deny_grace_minutes').notNull().default(60),
    campaignId: text('campaign_id'),
    deal: jsonb('deal').$type<{ pipeline: string; stage: string; name: string } | null>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('push_settings_workspace_idx').on(t.workspaceId, t.id),
    uniqueIndex('push_settings_program_idx').on(t.programId, t.connectionId, t.subject),
  ],
);

/** Which CRM record a referral or member became, per push setting: what makes pushes idempotent. */
export const pushRecords = pgTable(
  'push_records',
  {
    settingsId: text('settings_id')
      .notNull()
      .references(() => pushSettings.id),
    subjectId: text('subject_id').notNull(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    crmObject: text('crm_object').notNull(),
    crmId: text('crm_id').notNull(),
    dealId: text('deal_id'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.settingsId, t.subjectId] }), index('push_records_crm_idx').on(t.crmId)],
);

/** Every attempt to write a referral or member to a CRM, with the CRM's answer verbatim. */
export const pushLog = pgTable(
  'push_log',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    settingsId: text('settings_id')
      .notNull()
      .references(() => pushSettings.id),
    connectionId: text('connection_id').notNull(),
    subject: text('subject').$type<'referral' | 'member'>().notNull(),
    subjectId: text('subject_id').notNull(),
    action: text('action')
      .$type<'created' | 'updated' | 'skipped' | 'denied' | 'failed' | 'waiting'>()
      .notNull(),
    crmObject: text('crm_object'),
    crmId: text('crm_id'),
    crmUrl: text('crm_url'),
    crmCode: text('crm_code'),
    message: text('message'),
    /** Whether a later retry may succeed (false: the data must change first). */
    retryable: boolean('retryable').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    index('push_log_workspace_idx').on(t.workspaceId, t.id),
    index('push_log_subject_idx').on(t.subjectId, t.id),
  ],
);
