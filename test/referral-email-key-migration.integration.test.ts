import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { emailKey } from '../src/core/text-keys.ts';
import { migrationDb, seedReferrals } from './helpers/migrations.ts';

/**
 * The migration that adds `referrals.email_key` gives every plain-ASCII email the key the
 * application gives it (`normalizeEmail`); other emails keep null, and fuzzy matching finds
 * them by their domain as before.
 */

const { db, migrations, apply, upTo } = migrationDb();
afterAll(() => db.close());

/** Printable-ASCII emails shaped like the ones that trip normalisation up. */
const asciiEmail = () => {
  const part = fc
    .array(fc.constantFrom('a', 'B', 'z', '0', '.', '+', '-', '_', '@', ' ', "'"), { maxLength: 8 })
    .map((chars) => chars.join(''));
  const domain = fc.constantFrom('gmail.com', 'GoogleMail.com', 'example.com', 'Sub.Example.ORG', '', 'x');
  return fc
    .tuple(
      fc.constantFrom('', ' ', '  '),
      part,
      fc.constantFrom('@', '', '@@'),
      domain,
      fc.constantFrom('', ' '),
    )
    .map(([lead, local, at, host, trail]) => `${lead}${local}${at}${host}${trail}`);
};

it('keys plain-ASCII emails exactly as the application does, and leaves the rest null', async () => {
  const adding = await upTo('_referral_email_key.sql');
  expect(adding).toBeGreaterThan(0);
  const fixed = [
    ' John.Smith+news@GoogleMail.com ',
    'ann+@example.com',
    '+tag@example.com',
    '@example.com',
    'nobody@',
    'a@b@c.example',
    '...@gmail.com',
    'Zoë@example.com',
    null,
  ];
  const generated = fc.sample(asciiEmail(), { numRuns: 2000, seed: 7 });
  const emails = [...fixed, ...generated];
  await seedReferrals(db, 'email', emails);
  await apply(migrations[adding] ?? '');

  const rows = await db.query<{ email: string | null; email_key: string | null }>(
    'select email, email_key from referrals order by id',
  );
  const expected = emails.map((email) => (email === 'Zoë@example.com' ? null : emailKey(email)));
  expect(rows.rows.map((row) => row.email_key)).toEqual(expected);
  expect(rows.rows.slice(0, fixed.length).map((row) => row.email_key)).toEqual([
    'johnsmith@gmail.com',
    'ann@example.com',
    '+tag@example.com',
    null,
    null,
    'a@b@c.example',
    '@gmail.com',
    null,
    null,
  ]);
});
