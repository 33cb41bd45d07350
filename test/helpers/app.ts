import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { buildApp, type ExtraPlugin, prepare, type RefsyncApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { EventSubscriber } from '../../src/queue/subscriber.ts';
import { createApiKey, createWorkspace } from '../../src/workspaces/service.ts';
import { createTestDatabase } from './database.ts';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Talks to a running refsync over real HTTP, as a script would. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key: string | undefined,
  ) {}

  withKey(key: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, key);
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text ? JSON.parse(text) : text;
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { body: body ?? {}, ...(headers ? { headers } : {}) });
  }
  patch<T = Record<string, unknown>>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, { body });
  }
  delete<T = Record<string, unknown>>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

export interface TestApp {
  app: RefsyncApp;
  url: string;
  /** A client without a key (for health endpoints and auth tests). */
  anonymous: ApiClient;
  /** A fresh workspace and a client holding its API key. */
  newWorkspace(name?: string): Promise<{ id: string; key: string; api: ApiClient }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  subscribers?: readonly EventSubscriber[];
  plugins?: readonly ExtraPlugin[];
  env?: Record<string, string>;
  /** Where the app's log lines go (to read them in a test); nowhere by default. */
  logDestination?: DestinationStream;
  /** Whether job workers run (as `refsync start`); false serves the API alone. Default true. */
  work?: boolean;
}

/** A whole refsync (API and workers) on its own database, listening on a free port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'refsync-test-'));
  const testDatabase = await createTestDatabase();
  const config = loadConfig({
    PORT: '0',
    REFSYNC_DATA_DIR: dataDir,
    REFSYNC_SECRET_KEY: 'test-secret-key-0123456789',
    REFSYNC_LOG_LEVEL: process.env.REFSYNC_TEST_LOG_LEVEL ?? 'silent',
    REFSYNC_SHUTDOWN_TIMEOUT_MS: '2000',
    // Catch-up polls would add entries to tests that do not expect them; poller tests set their own.
    REFSYNC_POLL_INTERVAL_SECONDS: '3600',
    ...(testDatabase.databaseUrl ? { DATABASE_URL: testDatabase.databaseUrl } : {}),
    ...options.env,
  });
  const app = await buildApp({
    config,
    database: testDatabase.database,
    logger: createLogger(config.logLevel, options.logDestination),
    subscribers: options.subscribers ?? [],
    plugins: options.plugins ?? [],
  });
  await prepare(app, { work: options.work ?? true });
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.server.address();
  if (!address || typeof address !== 'object') throw new Error('test server has no address');
  const url = `http://127.0.0.1:${address.port}`;
  if (!config.publicUrlGiven) config.publicUrl = url;
  return {
    app,
    url,
    anonymous: new ApiClient(url, undefined),
    newWorkspace: async (name = 'Test workspace') => {
      const workspace = await createWorkspace(app.ctx.db, name);
      const { key } = await createApiKey(app.ctx.db, workspace.id, 'test');
      return { id: workspace.id, key, api: new ApiClient(url, key) };
    },
    close: async () => {
      await app.close();
      await testDatabase.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
