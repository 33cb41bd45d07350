import { resolve } from 'node:path';
import { z } from 'zod';

const boolFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  REFSYNC_DATA_DIR: z.string().min(1).default('./.refsync'),
  REFSYNC_SECRET_KEY: z.string().min(16).optional(),
  REFSYNC_PUBLIC_URL: z.string().url().optional(),
  REFSYNC_BOOTSTRAP_API_KEY: z
    .string()
    .regex(/^rsk_[A-Za-z0-9_-]{16,}$/, 'must look like rsk_ followed by at least 16 letters, digits, - or _')
    .optional(),
  REFSYNC_SANDBOX: boolFlag.optional(),
  REFSYNC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REFSYNC_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(20_000),
  REFSYNC_POLL_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  REFSYNC_HUBSPOT_LEGACY_SIGNATURES: boolFlag.optional(),
  REFSYNC_CRM_BASE_URLS: z
    .string()
    .optional()
    .transform((value, context) => {
      const urls = (value ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      for (const url of urls) {
        const parsed = URL.canParse(url) ? new URL(url) : undefined;
        if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.search) {
          context.addIssue({ code: 'custom', message: `${url} is not an http(s) base URL` });
        }
      }
      return urls.map((url) => url.replace(/\/+$/, ''));
    }),
});

export interface Config {
  port: number;
  host: string;
  /** PostgreSQL connection string; absent means embedded PGlite under `dataDir`. */
  databaseUrl: string | undefined;
  /** Absolute path of the data folder (PGlite files, generated secret, sandbox state). */
  dataDir: string;
  /** Secret for encrypting tokens; generated into the data folder when not given. */
  secretKey: string | undefined;
  /**
   * Base URL others use to reach this server (OAuth callbacks, webhook URLs). Without
   * REFSYNC_PUBLIC_URL it is derived from HOST and PORT, and corrected to the real address
   * once listening (PORT=0).
   */
  publicUrl: string;
  publicUrlGiven: boolean;
  bootstrapApiKey: string | undefined;
  /** Mount the sandbox CRMs. Default: on when embedded, off on PostgreSQL. */
  sandbox: boolean;
  logLevel: string;
  /** How long a graceful shutdown waits for running jobs. Default 20 000 ms. */
  shutdownTimeoutMs: number;
  /**
   * Sales receiver catch-up: seconds between two polls of one connection for records the
   * CRM's events missed. Default 60.
   */
  pollIntervalSeconds: number;
  /**
   * Also accept HubSpot webhooks signed only with v1/v2 (`X-HubSpot-Signature`), which carry
   * no timestamp and so can be replayed. Default: off (v3 only).
   */
  hubspotLegacySignatures: boolean;
  /**
   * Base URLs besides the real CRMs that a connection may use (a CRM proxy, a sandbox on
   * another server). Connections may not point anywhere else. Default: none.
   */
  crmBaseUrls: string[];
}

export class ConfigError extends Error {}

/** Reads the environment once; every problem is named with its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const displayHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.REFSYNC_DATA_DIR),
    secretKey: e.REFSYNC_SECRET_KEY,
    publicUrl: (e.REFSYNC_PUBLIC_URL ?? `http://${displayHost}:${e.PORT}`).replace(/\/+$/, ''),
    publicUrlGiven: e.REFSYNC_PUBLIC_URL !== undefined,
    bootstrapApiKey: e.REFSYNC_BOOTSTRAP_API_KEY,
    sandbox: e.REFSYNC_SANDBOX ?? e.DATABASE_URL === undefined,
    logLevel: e.REFSYNC_LOG_LEVEL,
    shutdownTimeoutMs: e.REFSYNC_SHUTDOWN_TIMEOUT_MS,
    pollIntervalSeconds: e.REFSYNC_POLL_INTERVAL_SECONDS,
    hubspotLegacySignatures: e.REFSYNC_HUBSPOT_LEGACY_SIGNATURES ?? false,
    crmBaseUrls: e.REFSYNC_CRM_BASE_URLS,
  };
}
