import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { connections, workspaces } from '../db/schema.ts';

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
    /** Records modified after this were not polled yet. */
    pollCursor: timestamp('poll_cursor', { withTimezone: true, mode: 'date' }),
    /** Secret in the Salesforce outbound message URL (sealed). */
    hookSecretSealed: text('hook_secret_sealed'),
  },
  (t) => [index('receiver_connection_state_workspace_idx').on(t.workspaceId)],
);
