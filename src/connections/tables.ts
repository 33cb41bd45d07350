import { index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
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

/** A place in a setting that names a CRM field: which setting, and where in it. */
export interface AlertSettingRef {
  kind: 'push_settings' | 'receiver_settings';
  id: string;
  /** The setting's field, as the API names it: `mappings.2.crmField`, `statusTriggers.0.field`. */
  path: string;
  /** The program the setting belongs to, for the words. */
  programName: string;
}

/** What an alert is about, besides its words. */
export interface AlertDetails {
  object?: string | undefined;
  field?: string | undefined;
  settings?: AlertSettingRef[] | undefined;
  /** The CRM's code (rate limits, refused tokens). */
  crmCode?: string | undefined;
}

/**
 * A connection's health alerts that hold right now (see `alerts.ts`). A row exists while its
 * condition lasts and is deleted when it ends; `key` tells alerts of one code apart (one per
 * missing field). Raising and clearing each emit one event, so the row is what keeps a
 * lasting condition from being told twice.
 */
export const connectionAlerts = pgTable(
  'connection_alerts',
  {
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id),
    /** `crm_field_missing:lead.score__c`, `crm_rate_limited`, ... */
    key: text('key').notNull(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    code: text('code').notNull(),
    message: text('message').notNull(),
    details: jsonb('details').$type<AlertDetails>().notNull(),
    /** When the condition was first seen (this time round). */
    raisedAt: timestamp('raised_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** When the condition was last seen still holding. */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.key] }),
    index('connection_alerts_workspace_idx').on(t.workspaceId),
  ],
);
