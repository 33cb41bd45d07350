import { afterAll, expect, it } from 'vitest';
import { migrationDb } from './helpers/migrations.ts';

/**
 * The migration that makes referral codes unique across the install keys every code only one
 * member has; codes several programs already share keep null (they stay reachable through
 * each program's link) and still block anyone new from taking them (see the members tests).
 */

const { db, migrations, apply, upTo } = migrationDb();
afterAll(() => db.close());

it('keys the codes one member has alone and leaves shared ones null; a key is unique', async () => {
  const adding = await upTo('_code_key_and_click_days.sql');
  expect(adding).toBeGreaterThan(0);
  await db.exec(`
    insert into workspaces (id, name) values ('ws_1', 'W'), ('ws_2', 'V');
    insert into programs (id, workspace_id, name, milestones, member_fields, referral_fields) values
      ('prg_1', 'ws_1', 'P', '[]', '[]', '[]'),
      ('prg_2', 'ws_1', 'Q', '[]', '[]', '[]'),
      ('prg_3', 'ws_2', 'R', '[]', '[]', '[]');
    insert into members (id, workspace_id, program_id, referral_code, custom_fields) values
      ('mem_a', 'ws_1', 'prg_1', 'DUP-1', '{}'),
      ('mem_b', 'ws_1', 'prg_2', 'dup-1', '{}'),
      ('mem_c', 'ws_2', 'prg_3', 'Dup-1', '{}'),
      ('mem_d', 'ws_1', 'prg_1', 'Alone-1', '{}'),
      ('mem_e', 'ws_2', 'prg_3', 'ALONE2', '{}');
  `);
  await apply(migrations[adding] ?? '');

  const rows = await db.query<{ id: string; referral_code_key: string | null }>(
    'select id, referral_code_key from members order by id',
  );
  expect(rows.rows).toEqual([
    { id: 'mem_a', referral_code_key: null },
    { id: 'mem_b', referral_code_key: null },
    { id: 'mem_c', referral_code_key: null },
    { id: 'mem_d', referral_code_key: 'alone-1' },
    { id: 'mem_e', referral_code_key: 'alone2' },
  ]);
  await expect(
    db.exec(`insert into members (id, workspace_id, program_id, referral_code, referral_code_key, custom_fields)
      values ('mem_f', 'ws_1', 'prg_2', 'ALONE-1', 'alone-1', '{}')`),
  ).rejects.toThrow(/members_code_key_idx/);
});
