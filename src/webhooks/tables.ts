import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { events } from '../queue/tables.ts';
import { workspaces } from '../workspaces/tables.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Where a workspace wants its events sent (outbound webhooks). */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types sent here; empty means every type. */
    eventTypes: jsonb('event_types').$type<string[]>().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /** The signing secret (`whsec_...`), sealed. */
    secretSealed: text('secret_sealed').notNull(),
    /** The secret before the last rotation, still signing until `previousSecretExpiresAt`. */
    previousSecretSealed: text('previous_secret_sealed'),
    previousSecretExpiresAt: at('previous_secret_expires_at'),
    /** Since when every attempt failed; null while the endpoint answers. */
    failingSince: at('failing_since'),
    disabledReason: text('disabled_reason'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_workspace_idx').on(t.workspaceId, t.id)],
);

/** One event for one endpoint; its ID is the `webhook-id` every attempt carries. */
export const webhookMessages = pgTable(
  'webhook_messages',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    eventType: text('event_type').notNull(),
    /** The exact body sent, so every attempt signs and sends the same bytes. */
    body: text('body').notNull(),
    /** pending (attempts left), delivered, failed (schedule exhausted or endpoint disabled). */
    status: text('status').$type<'pending' | 'delivered' | 'failed'>().notNull(),
    /** Raised by each replay; attempts are numbered within a round. */
    round: integer('round').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at'),
    deliveredAt: at('delivered_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_messages_endpoint_event_idx').on(t.endpointId, t.eventId),
    index('webhook_messages_workspace_idx').on(t.workspaceId, t.id),
    index('webhook_messages_failed_idx').on(t.endpointId, t.createdAt).where(sql`status = 'failed'`),
  ],
);

/** One HTTP attempt to deliver a message, with what the endpoint answered. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    messageId: text('message_id')
      .notNull()
      .references(() => webhookMessages.id),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    round: integer('round').notNull(),
    attempt: integer('attempt').notNull(),
    /** HTTP status; null when no answer came (refused, timeout, connection error). */
    statusCode: integer('status_code'),
    success: boolean('success').notNull(),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    /** The first 1 KB of the answer's body. */
    responseExcerpt: text('response_excerpt'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_attempts_message_attempt_idx').on(t.messageId, t.round, t.attempt),
    index('webhook_attempts_endpoint_idx').on(t.endpointId, t.id),
  ],
);
