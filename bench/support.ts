import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where one benchmark run keeps its data; `drop` removes all of it. */
export interface BenchBackend {
  /** A database of the run's own on PostgreSQL; undefined means PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A fresh backend for one run: a temporary data folder, plus, when `postgresUrl` is given, a
 * database created for the run on that server (so runs never see each other's rows or jobs).
 */
export async function freshBackend(label: string, postgresUrl: string | undefined): Promise<BenchBackend> {
  const dataDir = mkdtempSync(join(tmpdir(), `refsync-bench-${label}-`));
  if (!postgresUrl) {
    return {
      databaseUrl: undefined,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `refsync_bench_${label.replace(/\W/g, '_')}_${process.pid}`;
  await onServer(postgresUrl, `drop database if exists ${name} with (force)`);
  await onServer(postgresUrl, `create database ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    dataDir,
    drop: async () => {
      await onServer(postgresUrl, `drop database if exists ${name} with (force)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
