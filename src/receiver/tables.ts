import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { connections } from '../connections/tables.ts';
import { createdAt, updatedAt } from '../db/columns.ts';
import { programs } from '../programs/tables.ts';
import { workspaces } from '../workspaces/tables.ts';

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
    /** Failed because its connection needed reconnecting: processed again once it works. */
    needsReconnect: boolean('needs_reconnect').notNull().default(false),
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

/**
 * What the sales receiver keeps per connection. Only the receiver reads and writes it (see
 * `connection-state.ts`); the connection's health answer shows it through that module.
 */
export const receiverConnectionState = pgTable(
  'receiver_connection_state',
  {
    connectionId: text('connection_id')
      .primaryKey()
      .references(() => connections.id),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** When an event (outbound message, webhook, API entry) last arrived; polls do not count. */
    lastEntryAt: timestamp('last_entry_at', { withTimezone: true, mode: 'date' }),
    /** When the last catch-up poll of this connection completed. */
    lastPollAt: timestamp('last_poll_at', { withTimezone: true, mode: 'date' }),
    /** How many changes that poll found that no event had brought. */
    lastPollFound: integer('last_poll_found'),
    /** How many polls in a row found such changes (0 after one that found none). */
    pollsFoundInRow: integer('polls_found_in_row').notNull().default(0),
    /** Records modified after this were not polled yet. */
    pollCursor: timestamp('poll_cursor', { withTimezone: true, mode: 'date' }),
    /** Secret in the Salesforce outbound message URL (sealed). */
    hookSecretSealed: text('hook_secret_sealed'),
  },
  (t) => [index('receiver_connection_state_workspace_idx').on(t.workspaceId)],
);
