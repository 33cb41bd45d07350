import { sql } from 'drizzle-orm';
import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// Tables owned by a capability live beside its code; they are listed here for the db client and drizzle-kit.
export * from '../notifications/tables.ts';
export * from '../receiver/tables.ts';
export * from '../webhooks/tables.ts';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const workspaces = pgTable('workspaces', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    /** The first characters of the key, shown so a person can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key; the key itself is never stored. */
    hash: text('hash').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('api_keys_hash_idx').on(t.hash), index('api_keys_workspace_idx').on(t.workspaceId)],
);

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
  ],
);

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
    email: text('email'),
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

/** Domain events, written in the same transaction as the change they describe. */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    type: text('type').notNull(),
    subjectId: text('subject_id').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('events_workspace_idx').on(t.workspaceId, t.id), index('events_subject_idx').on(t.subjectId)],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    /** Null while the first request is still running. */
    statusCode: integer('status_code'),
    responseBody: text('response_body'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.key] }),
    index('idempotency_keys_created_idx').on(t.createdAt),
  ],
);

/**
 * A connected CRM account. Tokens and the OAuth client secret are sealed (SecretBox); an
 * account (org or portal) belongs to at most one workspace.
 */
export const connections = pgTable(
  'connections',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    provider: text('provider').$type<'salesforce' | 'hubspot'>().notNull(),
    name: text('name').notNull(),
    /** pending: waiting for consent; connected; needs_reauth: the CRM refused our tokens. */
    status: text('status').$type<'pending' | 'connected' | 'needs_reauth'>().notNull(),
    baseUrl: text('base_url').notNull(),
    authorizeBaseUrl: text('authorize_base_url').notNull(),
    clientId: text('client_id').notNull(),
    clientSecretSealed: text('client_secret_sealed').notNull(),
    accessTokenSealed: text('access_token_sealed'),
    refreshTokenSealed: text('refresh_token_sealed'),
    tokenExpiresAt: timestamp('token_expires_at', { withTimezone: true, mode: 'date' }),
    instanceUrl: text('instance_url'),
    accountId: text('account_id'),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true, mode: 'date' }),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('connections_workspace_idx').on(t.workspaceId, t.id),
    uniqueIndex('connections_account_idx').on(t.provider, t.accountId),
  ],
);

/** One OAuth round trip: the `state` sent to the CRM, usable once, for ten minutes. */
export const oauthStates = pgTable('oauth_states', {
  state: text('state').primaryKey(),
  workspaceId: text('workspace_id')
    .notNull()
    .references(() => workspaces.id),
  connectionId: text('connection_id')
    .notNull()
    .references(() => connections.id),
  createdAt: createdAt(),
});

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

export interface StatusTrigger {
  /** CRM object API name: Lead, Opportunity, contacts, deals, ... */
  object: string;
  /** Field (API name) whose value is compared. */
  field: string;
  /** Matched exactly against the field's value as text. */
  value: string;
  /** Milestone code the referral moves to. */
  milestone: string;
  /** Whether this trigger may move a referral back to an earlier milestone. Default false. */
  allowBackward?: boolean | undefined;
}

export interface FieldUpdate {
  object: string;
  field: string;
  /** `referral.company`, `referral.custom.<key>`, ... */
  target: string;
}

export interface MatchRule {
  object: string;
  field: string;
  /** For target match: referralId | externalId. For member match: referralCode | memberEmail | memberExternalId | memberId. */
  matchOn: string;
}

export interface ProcessRules {
  autoProcessDirect: boolean;
  autoProcessFuzzy: boolean;
  reviewWhenNoMemberMatch: boolean;
  reviewDeniedToPositive: boolean;
  notifyOnReview: boolean;
}

/** Sales receiver: how CRM events of one connection move one program's referrals. */
export const receiverSettings = pgTable(
  'receiver_settings',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    /** Null for entries that come through the API rather than a CRM connection. */
    connectionId: text('connection_id').references(() => connections.id),
    enabled: boolean('enabled').notNull().default(true),
    statusTriggers: jsonb('status_triggers').$type<StatusTrigger[]>().notNull(),
    allowOverrideDenied: boolean('allow_override_denied').notNull().default(false),
    fieldUpdates: jsonb('field_updates').$type<FieldUpdate[]>().notNull(),
    updateContactDetails: boolean('update_contact_details').notNull().default(false),
    targetMatch: jsonb('target_match').$type<MatchRule[]>().notNull(),
    fuzzyMatch: boolean('fuzzy_match').notNull().default(true),
    contactMatching: text('contact_matching')
      .$type<'triggered_only' | 'include_account_contacts'>()
      .notNull(),
    memberMatch: jsonb('member_match').$type<MatchRule[]>().notNull(),
    processRules: jsonb('process_rules').$type<ProcessRules>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('receiver_settings_workspace_idx').on(t.workspaceId, t.id),
    uniqueIndex('receiver_settings_program_idx').on(t.programId, t.connectionId),
  ],
);

/**
 * One received CRM event, saved before anything else happens. Its raw payload is kept
 * verbatim; `status` moves received -> success | ignored | review | failed, and any of the
 * last three can be retried (after an edit of `fields`).
 */
export const salesEntries = pgTable(
  'sales_entries',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    connectionId: text('connection_id'),
    /** salesforce_outbound | salesforce_transition | hubspot_webhook | api | poll */
    source: text('source').notNull(),
    /** The CRM's own event ID (notification ID, event ID): a second delivery is the same entry. */
    dedupeKey: text('dedupe_key').notNull(),
    rawPayload: text('raw_payload').notNull(),
    status: text('status').$type<'received' | 'success' | 'ignored' | 'review' | 'failed'>().notNull(),
    reason: text('reason'),
    /** Normalized: object type, record ID, field values, when the CRM says it happened. */
    objectType: text('object_type'),
    recordId: text('record_id'),
    fields: jsonb('fields').$type<Record<string, unknown>>().notNull(),
    /** Fields as received, before any edit. */
    receivedFields: jsonb('received_fields').$type<Record<string, unknown>>().notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }),
    related: jsonb('related').$type<Record<string, Record<string, unknown> | null>>(),
    referralId: text('referral_id'),
    memberId: text('member_id'),
    matchMethod: text('match_method'),
    matchScore: doublePrecision('match_score'),
    trigger: jsonb('trigger').$type<StatusTrigger | null>(),
    changes: jsonb('changes').$type<Record<string, unknown> | null>(),
    /** For transition URLs: the milestone asked for, and feedback for the referrer. */
    requestedMilestone: text('requested_milestone'),
    feedback: text('feedback'),
    attempts: integer('attempts').notNull().default(0),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('sales_entries_dedupe_idx').on(t.workspaceId, t.dedupeKey),
    index('sales_entries_workspace_idx').on(t.workspaceId, t.id),
    index('sales_entries_status_idx').on(t.workspaceId, t.status),
    index('sales_entries_record_idx').on(t.workspaceId, t.recordId),
    /** Entries of one referral: the entries log filter, and the "newer event already applied" check. */
    index('sales_entries_referral_idx').on(t.referralId, t.occurredAt),
  ],
);
