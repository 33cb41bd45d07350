import { afterAll, expect, it } from 'vitest';
import { migrationDb } from './helpers/migrations.ts';

/**
 * The migration that adds `sales_entries.needs_reconnect` marks the entries that failed for
 * their connection before the column existed (they said so only in their reason), so they
 * still run again once the connection is reconnected after the upgrade.
 */

const { db, migrations, apply, upTo } = migrationDb();
afterAll(() => db.close());

it('marks the entries that failed because their connection needed reconnecting', async () => {
  const adding = await upTo('_entry_needs_reconnect.sql');
  expect(adding).toBeGreaterThan(0);
  await db.exec(`
    insert into workspaces (id, name) values ('ws_1', 'W');
    insert into sales_entries (id, workspace_id, connection_id, source, dedupe_key, raw_payload, status,
      reason, fields, received_fields)
    values
      ('se_waiting', 'ws_1', 'con_1', 'poll', 'k1', '{}', 'failed',
        'the connection needs reconnecting: The refresh token was refused', '{}', '{}'),
      ('se_refused', 'ws_1', 'con_1', 'poll', 'k2', '{}', 'failed',
        'reading related records failed: INVALID_FIELD: No such column', '{}', '{}'),
      ('se_done', 'ws_1', 'con_1', 'poll', 'k3', '{}', 'success', null, '{}', '{}');
  `);
  await apply(migrations[adding] ?? '');

  const rows = await db.query<{ id: string; needs_reconnect: boolean }>(
    'select id, needs_reconnect from sales_entries order by id',
  );
  expect(rows.rows).toEqual([
    { id: 'se_done', needs_reconnect: false },
    { id: 'se_refused', needs_reconnect: false },
    { id: 'se_waiting', needs_reconnect: true },
  ]);
});
