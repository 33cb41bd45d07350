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
