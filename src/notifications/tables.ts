import {
  boolean,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { programs } from '../programs/tables.ts';
import { events } from '../queue/tables.ts';
import { workspaces } from '../workspaces/tables.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Who hears about a workspace's problems, and which ones (there are no users yet). */
export const notificationSettings = pgTable('notification_settings', {
  workspaceId: text('workspace_id')
    .primaryKey()
    .references(() => workspaces.id),
  adminEmails: jsonb('admin_emails').$type<string[]>().notNull(),
  /** Alert names switched on (see `adminAlerts`). */
  alerts: jsonb('alerts').$type<string[]>().notNull(),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/** A program's sender and which people it writes to. */
export const programEmailSettings = pgTable('program_email_settings', {
  programId: text('program_id')
    .primaryKey()
    .references(() => programs.id),
  workspaceId: text('workspace_id')
    .notNull()
    .references(() => workspaces.id),
  fromName: text('from_name'),
  fromAddress: text('from_address'),
  notifyReferrer: boolean('notify_referrer').notNull().default(true),
  notifyReferred: boolean('notify_referred').notNull().default(false),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/** A program's own wording of one email; absent, the built-in default is used. */
export const emailTemplates = pgTable(
  'email_templates',
  {
    programId: text('program_id')
      .notNull()
      .references(() => programs.id),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    template: text('template').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html').notNull(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.programId, t.template] })],
);

/**
 * Every email refsync writes: one per (event, recipient, template), which is what keeps a
 * retried job from sending twice. Without SMTP it stays here as the outbox (`/sandbox/mail`).
 */
export const emails = pgTable(
  'emails',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    recipient: text('recipient').notNull(),
    template: text('template').notNull(),
    /** pending, sending (claimed by a worker), sent, skipped (unsubscribed), failed. */
    status: text('status').$type<'pending' | 'sending' | 'sent' | 'skipped' | 'failed'>().notNull(),
    claimedAt: at('claimed_at'),
    fromHeader: text('from_header').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html').notNull(),
    /** `smtp` or `outbox`. */
    transport: text('transport'),
    /** The whole message as sent (outbox only). */
    raw: text('raw'),
    error: text('error'),
    createdAt: at('created_at').notNull().defaultNow(),
    sentAt: at('sent_at'),
  },
  (t) => [
    uniqueIndex('emails_event_recipient_template_idx').on(t.eventId, t.recipient, t.template),
    index('emails_workspace_idx').on(t.workspaceId, t.id),
  ],
);

/** Addresses that asked for no more email from a workspace. */
export const unsubscribes = pgTable(
  'unsubscribes',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** Lower-cased. */
    email: text('email').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.email] })],
);
