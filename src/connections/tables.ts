import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { Provider } from '../crm/registry.ts';
import { createdAt, updatedAt } from '../db/columns.ts';
import { workspaces } from '../workspaces/tables.ts';

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
    provider: text('provider').$type<Provider>().notNull(),
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
