import { afterAll, expect, it } from 'vitest';
import { migrationDb } from './helpers/migrations.ts';

/**
 * Migration 0004 moves the receiver's columns off `connections`: what a connection had (its
 * hook secret, poll cursor, last event) must still be there after the upgrade, or its
 * Salesforce hook URLs would stop working and its next poll would start over.
 */

const { db, migrations, apply, upTo } = migrationDb();
afterAll(() => db.close());

it('keeps each connection’s hook secret, poll cursor and last event time', async () => {
  const moving = await upTo('_receiver_connection_state.sql');
  expect(moving).toBeGreaterThan(0);
  await db.exec(`
    insert into workspaces (id, name) values ('ws_1', 'W');
    insert into connections (id, workspace_id, provider, name, status, base_url, authorize_base_url,
      client_id, client_secret_sealed, last_entry_at, poll_cursor, hook_secret_sealed)
    values
      ('con_used', 'ws_1', 'salesforce', 'S', 'connected', 'b', 'a', 'c', 's',
        '2026-03-01T10:00:00Z', '2026-03-01T09:00:00Z', 'sealed-secret'),
      ('con_new', 'ws_1', 'hubspot', 'H', 'pending', 'b', 'a', 'c', 's', null, null, null);
  `);
  await apply(migrations[moving] ?? '');

  const rows = await db.query<Record<string, unknown>>(
    'select connection_id, workspace_id, last_entry_at, poll_cursor, hook_secret_sealed, last_poll_at from receiver_connection_state',
  );
  expect(rows.rows).toEqual([
    {
      connection_id: 'con_used',
      workspace_id: 'ws_1',
      last_entry_at: new Date('2026-03-01T10:00:00Z'),
      poll_cursor: new Date('2026-03-01T09:00:00Z'),
      hook_secret_sealed: 'sealed-secret',
      last_poll_at: null,
    },
  ]);
  const columns = await db.query<{ column_name: string }>(
    "select column_name from information_schema.columns where table_name = 'connections'",
  );
  expect(columns.rows.map((row) => row.column_name)).not.toContain('hook_secret_sealed');
}, 120_000);
