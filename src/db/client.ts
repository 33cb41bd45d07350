import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import * as schema from './schema.ts';

/** One type for both drivers; a transaction is also a `Db`. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/**
 * An open database. Embedded mode holds one PGlite instance (a single session: every query,
 * pg-boss's included, goes through it); server mode holds a node-postgres pool.
 */
export type Database =
  | { kind: 'pglite'; db: Db; pglite: PGlite; dataDir: string | undefined; close(): Promise<void> }
  | { kind: 'postgres'; db: Db; pool: pg.Pool; connectionString: string; close(): Promise<void> };

export interface OpenOptions {
  /** PostgreSQL connection string; when absent PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; undefined for an in-memory database (tests, benchmarks). */
  dataDir?: string | undefined;
  /** node-postgres pool size. Default 10. */
  poolSize?: number;
  /** Told about connections the server dropped (restart, failover); default: ignored. */
  onConnectionError?: (error: Error) => void;
}

/** A node-postgres pool and its `Db`, apart from the database's main pool. */
export interface Pool {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** A pool of `max` connections to PostgreSQL; `onConnectionError` hears of dropped ones. */
export function openPool(
  connectionString: string,
  max: number,
  onConnectionError: (error: Error) => void = () => {},
): Pool {
  const pool = new pg.Pool({ connectionString, max });
  // A dropped connection (database restart, failover) must not crash the process: node-postgres
  // emits 'error' on the client itself, and on a checked-out client (a transaction between two
  // statements) nobody else listens. Queries on it report their own errors; the pool replaces it.
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  const db = drizzlePostgres({ client: pool, schema }) as unknown as Db;
  return { db, pool, close: () => pool.end() };
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { db, pool, close } = openPool(
      options.databaseUrl,
      options.poolSize ?? 10,
      options.onConnectionError,
    );
    const connectionString = options.databaseUrl;
    return { kind: 'postgres', db, pool, connectionString, close };
  }
  let lock: DataDirLock | undefined;
  let pgDir: string | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    lock = acquireDataDirLock(options.dataDir);
    pgDir = join(options.dataDir, 'pgdata');
  }
  try {
    const pglite = pgDir ? await PGlite.create(pgDir) : await PGlite.create();
    const db = drizzlePglite({ client: pglite, schema }) as unknown as Db;
    return {
      kind: 'pglite',
      db,
      pglite,
      dataDir: options.dataDir,
      close: async () => {
        await pglite.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/** Runs raw SQL and returns its rows; both drivers answer `{ rows }`. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as { rows: T[] };
  return result.rows;
}
