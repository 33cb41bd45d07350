import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client.ts';

/**
 * The database a test file runs on: in-memory PGlite by default, or a database of its own on
 * the PostgreSQL named by REFSYNC_TEST_DATABASE_URL (created here, dropped on close), so
 * files running side by side never see each other's rows or jobs.
 */
export interface TestDatabase {
  database: Database;
  /** The connection string of this file's own PostgreSQL database, when on PostgreSQL. */
  databaseUrl: string | undefined;
  drop(): Promise<void>;
}

export const serverUrl = process.env.REFSYNC_TEST_DATABASE_URL;

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!serverUrl) {
    return { database: await openDatabase({}), databaseUrl: undefined, drop: async () => {} };
  }
  const name = `refsync_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    database: await openDatabase({ databaseUrl, poolSize: 5 }),
    databaseUrl,
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
