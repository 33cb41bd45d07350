import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildApp, type ExtraPlugin, prepare, type RefsyncApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/core/logger.ts';
import { openDatabase } from '../src/db/client.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { subscribers } from '../src/subscribers.ts';
import { createApiKey, createWorkspace } from '../src/workspaces/service.ts';
import { ApiClient, type TestApp } from '../test/helpers/app.ts';

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

export interface BenchApp {
  app: RefsyncApp;
  /** Where the app listens, e.g. http://127.0.0.1:41234. */
  base: string;
  workspaceId: string;
  /** Authorization and JSON content type for the bench workspace. */
  headers: Record<string, string>;
  /** POSTs JSON and answers the parsed body; anything but 2xx throws. */
  post<T = { id: string }>(path: string, body: unknown): Promise<T>;
  /** Stops the app and removes its data. */
  close(): Promise<void>;
}

/**
 * refsync as `refsync start` runs it (API and workers; `work: false` for the API alone), on a
 * fresh backend, with a workspace and key.
 */
export async function startBenchApp(
  label: string,
  postgresUrl: string | undefined,
  options: { plugins?: readonly ExtraPlugin[]; env?: Record<string, string>; work?: boolean } = {},
): Promise<BenchApp> {
  const { databaseUrl, dataDir, drop } = await freshBackend(label, postgresUrl);
  const config = loadConfig({
    PORT: '0',
    REFSYNC_DATA_DIR: dataDir,
    REFSYNC_LOG_LEVEL: 'silent',
    REFSYNC_SECRET_KEY: 'bench-secret-key-0123456789',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  });
  const database = await openDatabase({ databaseUrl, dataDir });
  const app = await buildApp({
    config,
    database,
    logger: createLogger('silent'),
    subscribers,
    plugins: options.plugins ?? [],
  });
  // Without workers, jobs wait until the bench starts them (`app.ctx.queue.work`).
  await prepare(app, { work: options.work ?? true });
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  const base = `http://127.0.0.1:${address.port}`;
  const workspace = await createWorkspace(app.ctx.db, 'bench');
  const { key } = await createApiKey(app.ctx.db, workspace.id, 'bench');
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  return {
    app,
    base,
    workspaceId: workspace.id,
    headers,
    post: async <T>(path: string, body: unknown): Promise<T> => {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${path}: HTTP ${response.status} ${text}`);
      return JSON.parse(text) as T;
    },
    close: async () => {
      await app.close();
      await drop();
    },
  };
}

/** One histogram of `/metrics`: cumulative counts per bucket upper bound (seconds), and the count. */
export interface Histogram {
  buckets: Array<{ le: number; count: number }>;
  count: number;
}

/** Reads a histogram (one label set) from the app's `/metrics`. */
export async function readHistogram(base: string, name: string, labels: string): Promise<Histogram> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const buckets: Histogram['buckets'] = [];
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !line.includes(labels)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (line.startsWith(`${name}_bucket`) && le)
      buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
    else if (line.startsWith(`${name}_count`)) count = value;
  }
  return { buckets: buckets.sort((a, b) => a.le - b.le), count };
}

/** What was observed between two readings of one histogram. */
export function histogramSince(after: Histogram, before: Histogram): Histogram {
  const earlier = new Map(before.buckets.map((bucket) => [bucket.le, bucket.count]));
  return {
    buckets: after.buckets.map((bucket) => ({
      le: bucket.le,
      count: bucket.count - (earlier.get(bucket.le) ?? 0),
    })),
    count: after.count - before.count,
  };
}

/**
 * The q-quantile of a histogram in milliseconds, as Prometheus' histogram_quantile works it
 * out: linear within the bucket it falls in.
 */
export function quantileMs(histogram: Histogram, q: number): number {
  const rank = q * histogram.count;
  let lower = 0;
  let below = 0;
  for (const bucket of histogram.buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lower * 1000;
      const inBucket = bucket.count - below;
      const share = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lower + (bucket.le - lower) * share) * 1000;
    }
    lower = bucket.le;
    below = bucket.count;
  }
  return lower * 1000;
}

/**
 * refsync with the sandbox CRMs mounted, as the test helper starts it, on the given backend:
 * the OAuth callbacks come back to it, so connections are made through the real flow.
 * `work: false` starts no worker (jobs wait for `app.ctx.queue.work`).
 */
export async function startSandboxedApp(
  backend: BenchBackend,
  options: { work: boolean; plugins?: readonly ExtraPlugin[]; env?: Record<string, string> },
): Promise<TestApp> {
  const config = loadConfig({
    PORT: '0',
    REFSYNC_DATA_DIR: backend.dataDir,
    REFSYNC_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    REFSYNC_SECRET_KEY: 'bench-secret-key-0123456789',
    REFSYNC_SHUTDOWN_TIMEOUT_MS: '2000',
    ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : {}),
    ...options.env,
  });
  const database = await openDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  const app: RefsyncApp = await buildApp({
    config,
    database,
    logger: createLogger(config.logLevel),
    subscribers,
    plugins: [...(options.plugins ?? []), ...sandboxPlugins(memorySandboxStore())],
  });
  await prepare(app, { work: options.work });
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.server.address();
  if (!address || typeof address !== 'object') throw new Error('bench server has no address');
  const url = `http://127.0.0.1:${address.port}`;
  // The OAuth callback must come back to this server.
  config.publicUrl = url;
  return {
    app,
    url,
    anonymous: new ApiClient(url, undefined),
    newWorkspace: async (name = 'Bench') => {
      const workspace = await createWorkspace(app.ctx.db, name);
      const { key } = await createApiKey(app.ctx.db, workspace.id, 'bench');
      return { id: workspace.id, key, api: new ApiClient(url, key) };
    },
    close: () => app.close(),
  };
}
