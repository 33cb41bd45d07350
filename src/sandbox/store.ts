import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where a sandbox CRM keeps its state between restarts of refsync. A sandbox holds its
 * orgs/portals in memory and calls `save` after every change; `load` runs once at start.
 */
export interface SandboxStore {
  load(name: string): unknown;
  save(name: string, state: unknown): void;
}

/**
 * Keeps nothing: state lives as long as the process (tests, benchmarks). A save keeps the
 * state object itself and a load copies it: saving is what a busy sandbox does several times
 * a second, loading happens once per start. Like the file store, what a load returns is what
 * the last save was given, as it is when loaded (sandboxes flush on close).
 */
export function memorySandboxStore(): SandboxStore {
  const states = new Map<string, unknown>();
  return {
    load: (name) => {
      const state = states.get(name);
      return state === undefined ? null : JSON.parse(JSON.stringify(state));
    },
    save: (name, state) => {
      states.set(name, state);
    },
  };
}

/**
 * One JSON file per sandbox under `<dataDir>/sandbox/`. Writes go to a temporary file that
 * is renamed over the old one, so a crash mid-write never leaves a torn file.
 */
export function fileSandboxStore(dataDir: string): SandboxStore {
  const dir = join(dataDir, 'sandbox');
  const pathOf = (name: string) => join(dir, `${name}.json`);
  return {
    load: (name) => {
      try {
        return JSON.parse(readFileSync(pathOf(name), 'utf8'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    save: (name, state) => {
      const path = pathOf(name);
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state));
      renameSync(tmp, path);
    },
  };
}
