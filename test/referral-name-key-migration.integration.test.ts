import { afterAll, expect, it } from 'vitest';
import { nameKey } from '../src/core/text-keys.ts';
import { migrationDb, seedReferrals } from './helpers/migrations.ts';

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
  await seedReferrals(db, 'last_name', names);
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
