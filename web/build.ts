import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

/**
 * Builds the console into web/dist when it is missing or older than any source under web/
 * (decision 0036). `npm start` runs this first; `npm run build:web` forces a build. The bundle
 * is built into a temporary folder and moved into place, so a server never reads half of it.
 */
const web = import.meta.dirname;
const dist = join(web, 'dist');
/** Server modules the console bundles as code (not `import type`): a change there is a change here. */
const serverModules = ['push/sources.ts'].map((name) => join(web, '..', 'src', name));
const sources = [
  ...['src', 'public', 'index.html', 'vite.config.ts'].map((name) => join(web, name)),
  ...serverModules,
];

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export function bundleIsFresh(): boolean {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) return false;
  return statSync(index).mtimeMs >= Math.max(...sources.map(newest));
}

export async function ensureBundle(
  options: { force?: boolean } = {},
): Promise<{ built: boolean; ms: number }> {
  if (!options.force && bundleIsFresh()) return { built: false, ms: 0 };
  const started = performance.now();
  const temporary = join(web, `.dist-${process.pid}`);
  await build({ configFile: join(web, 'vite.config.ts'), build: { outDir: temporary, emptyOutDir: true } });
  rmSync(dist, { recursive: true, force: true });
  renameSync(temporary, dist);
  return { built: true, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const result = await ensureBundle({ force: process.argv.includes('--force') });
  console.log(
    result.built ? `Console built into web/dist in ${result.ms} ms` : 'Console bundle is up to date',
  );
}
