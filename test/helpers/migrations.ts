import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const folder = join(import.meta.dirname, '..', '..', 'src', 'db', 'migrations');

/**
 * An in-memory database for testing one migration on data written under the schema before
 * it: `upTo` applies every migration before the one whose file name ends with `suffix`, and
 * returns that one's index (-1 when there is none) so the test can apply it after seeding.
 */
export function migrationDb() {
  const migrations = readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  const db = new PGlite();
  const apply = (name: string) =>
    db.exec(readFileSync(join(folder, name), 'utf8').replaceAll('--> statement-breakpoint', ''));
  const upTo = async (suffix: string): Promise<number> => {
    const index = migrations.findIndex((name) => name.endsWith(suffix));
    for (const name of migrations.slice(0, Math.max(index, 0))) await apply(name);
    return index;
  };
  return { db, migrations, apply, upTo };
}

/**
 * One workspace and program (`ws_1`, `prg_1`), and a referral of it per value, with that value
 * in `column`: `ref_00000`, `ref_00001`, ... in the order given.
 */
export async function seedReferrals(db: PGlite, column: string, values: ReadonlyArray<string | null>) {
  await db.exec(`
    insert into workspaces (id, name) values ('ws_1', 'W');
    insert into programs (id, workspace_id, name, milestones, member_fields, referral_fields)
      values ('prg_1', 'ws_1', 'P', '[]', '[]', '[]');
  `);
  for (const [index, value] of values.entries()) {
    await db.query(
      `insert into referrals (id, workspace_id, program_id, ${column}, custom_fields, milestone)
       values ($1, 'ws_1', 'prg_1', $2, '{}', 'submitted')`,
      [`ref_${String(index).padStart(5, '0')}`, value],
    );
  }
}
