import { afterAll, expect, it } from 'vitest';
import { nameKey } from '../src/core/text-keys.ts';
import { migrationDb } from './helpers/migrations.ts';

/**
 * The migration that adds `referrals.last_name_key` gives every plain-ASCII last name the key
 * the application would give it; other names keep null (and are found as before).
 */

const { db, migrations, apply, upTo } = migrationDb();
afterAll(() => db.close());

it('keys plain-ASCII last names exactly as the application does, and leaves the rest null', async () => {
  const adding = await upTo('_referral_name_key.sql');
  expect(adding).toBeGreaterThan(0);
  const names = ["O'Neil", '  Smith--Jones ', 'MÜLLER', '---', null, 'van der Berg 2'];
  await db.exec(`
    insert into workspaces (id, name) values ('ws_1', 'W');
    insert into programs (id, workspace_id, name, milestones, member_fields, referral_fields)
      values ('prg_1', 'ws_1', 'P', '[]', '[]', '[]');
  `);
  for (const [index, name] of names.entries()) {
    await db.query(
      `insert into referrals (id, workspace_id, program_id, last_name, custom_fields, milestone)
       values ($1, 'ws_1', 'prg_1', $2, '{}', 'submitted')`,
      [`ref_${index}`, name],
    );
  }
  await apply(migrations[adding] ?? '');

  const rows = await db.query<{ id: string; last_name_key: string | null }>(
    'select id, last_name_key from referrals order by id',
  );
  expect(rows.rows.map((row) => row.last_name_key)).toEqual(
    names.map((name) => (name === 'MÜLLER' ? null : nameKey(name))),
  );
  expect(rows.rows.map((row) => row.last_name_key)).toEqual([
    'o neil',
    'smith jones',
    null,
    null,
    null,
    'van der berg 2',
  ]);
});
