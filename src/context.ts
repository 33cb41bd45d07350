import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { SecretBox } from './core/crypto.ts';
import type { Metrics } from './core/metrics.ts';
import type { Database, Db } from './db/client.ts';
import type { JobQueue } from './queue/job-queue.ts';

/** What services need from the running app; built once in app.ts. */
export interface AppContext {
  config: Config;
  database: Database;
  db: Db;
  queue: JobQueue;
  metrics: Metrics;
  logger: Logger;
  secrets: SecretBox;
  /** Paths of the sandbox CRMs mounted on this server (`/sandbox/salesforce`, ...); may be none. */
  sandboxPaths: readonly string[];
}

/** Who is calling: resolved from the API key or the session cookie on every /api/v1 request. */
export interface Caller {
  workspaceId: string;
  /** How histories name the caller: `api_key:<id>` or `user:<id>`. */
  actor: string;
  apiKeyId: string | null;
  /** The signed-in person, when the call came from the console with a session cookie. */
  user: SignedInUser | null;
}

export interface SignedInUser {
  id: string;
  email: string;
  role: 'admin' | 'viewer';
  sessionId: string;
  csrfToken: string;
}
