import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { AppError } from './core/errors.ts';

const boolFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value));

/** A comma-separated list of http(s) base URLs, without trailing slashes. */
const baseUrlList = z
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
  });

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
  REFSYNC_TRUST_PROXY: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0),
    )
    .refine(
      (entries) => entries.every(isProxyAddress),
      'must be a comma-separated list of proxy IP addresses or CIDR ranges (e.g. 10.0.0.0/8,127.0.0.1)',
    ),
  REFSYNC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REFSYNC_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(20_000),
  REFSYNC_POLL_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  REFSYNC_CLICK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
  REFSYNC_HEALTH_CHECK_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(3600),
  REFSYNC_RATE_LIMIT_QUIET_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  REFSYNC_EVENTS_SILENCE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(900),
  REFSYNC_EVENTS_SILENCE_POLLS: z.coerce.number().int().min(1).max(1000).default(2),
  REFSYNC_HUBSPOT_LEGACY_SIGNATURES: boolFlag.optional(),
  REFSYNC_SMTP_URL: z
    .string()
    .regex(
      /^smtps?:\/\/[^\s]+$/,
      'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587',
    )
    .optional(),
  REFSYNC_MAIL_FROM: z.string().email().optional(),
  REFSYNC_WEBHOOKS_ALLOW_PRIVATE: boolFlag.optional(),
  REFSYNC_WEBHOOK_RETRY_SCALE: z.coerce.number().positive().max(1).default(1),
  REFSYNC_CRM_BASE_URLS: baseUrlList,
  REFSYNC_PAYOUT_BASE_URLS: baseUrlList,
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
  /**
   * Mount the sandbox CRMs, whose admin APIs have no authentication. Default: on only when
   * embedded and listening on a loopback HOST; REFSYNC_SANDBOX=1 mounts them anywhere.
   */
  sandbox: boolean;
  /** Said loudly at start when REFSYNC_SANDBOX=1 exposes the sandboxes beyond this machine. */
  sandboxWarning: string | undefined;
  /**
   * Proxies whose X-Forwarded-* headers are believed (IPs or CIDR ranges, for Fastify's
   * `trustProxy`). Empty: none, the connecting address and Host header are taken as they are.
   */
  trustProxy: string[];
  logLevel: string;
  /** How long a graceful shutdown waits for running jobs. Default 20 000 ms. */
  shutdownTimeoutMs: number;
  /**
   * Sales receiver catch-up: seconds between two polls of one connection for records the
   * CRM's events missed. Default 60.
   */
  pollIntervalSeconds: number;
  /**
   * Days a referral link click is kept as a row (time, hashed address, user agent, referring
   * page); older clicks are folded into counts per member and day, then deleted. Default 400.
   */
  clickRetentionDays: number;
  /**
   * Connection health: seconds between two scheduled checks of a connection's fields against
   * its CRM (and of alerts that end by going quiet). Default 3600.
   */
  healthCheckSeconds: number;
  /** A rate-limit alert clears once no refusal was seen for this long. Default 600. */
  rateLimitQuietSeconds: number;
  /**
   * "Events are not arriving" is raised when `eventsSilencePolls` polls in a row found changes
   * and no event arrived for `eventsSilenceSeconds`. Defaults 900 and 2.
   */
  eventsSilenceSeconds: number;
  eventsSilencePolls: number;
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
  /**
   * Base URLs besides the real Stripe and Tremendous that payout settings may use (a proxy,
   * the payment sandboxes on another server). Payout keys go nowhere else. Default: none.
   */
  payoutBaseUrls: string[];
  /** Where email goes (nodemailer URL). Absent: into the outbox shown at /sandbox/mail. */
  smtpUrl: string | undefined;
  /** Sender address when a program names none. Default `refsync@<public host>`. */
  mailFrom: string;
  /** Let outbound webhooks reach private, loopback and link-local addresses. Default off. */
  webhooksAllowPrivate: boolean;
  /**
   * Multiplies the webhook retry schedule and the 5-day disable period (tests use a small
   * fraction). Default 1.
   */
  webhookRetryScale: number;
}

export class ConfigError extends AppError {
  constructor(message: string) {
    super('invalid_config', message, { forCaller: false });
    this.name = 'ConfigError';
  }
}

function isProxyAddress(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Whether HOST keeps the server reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * The sandbox admin APIs hand out credentials and aim outbound calls anywhere, without any
 * authentication, so they mount by themselves only where nobody else can reach them.
 */
function sandboxMount(e: {
  HOST: string;
  DATABASE_URL?: string | undefined;
  REFSYNC_SANDBOX?: boolean | undefined;
}) {
  const loopback = isLoopbackHost(e.HOST);
  if (e.REFSYNC_SANDBOX === false) return { sandbox: false, sandboxWarning: undefined };
  if (e.REFSYNC_SANDBOX === true) {
    const exposures = [
      ...(loopback ? [] : [`HOST ${e.HOST} is not a loopback address`]),
      ...(e.DATABASE_URL ? ['this server uses PostgreSQL (DATABASE_URL)'] : []),
    ];
    return {
      sandbox: true,
      sandboxWarning:
        exposures.length === 0
          ? undefined
          : `REFSYNC_SANDBOX=1 while ${exposures.join(' and ')}: the sandbox CRMs are mounted and their ` +
            'admin APIs have NO authentication; anyone who can reach this port can read their ' +
            'credentials and point their outbound messages and webhooks anywhere. Use it for tests only.',
    };
  }
  return { sandbox: loopback && e.DATABASE_URL === undefined, sandboxWarning: undefined };
}

function mailHost(publicUrl: string | undefined, host: string): string {
  const name = publicUrl ? new URL(publicUrl).hostname : host;
  // An address literal is no mail domain; `localhost` is the conventional local one.
  return isIP(name.replace(/^\[|\]$/g, '')) === 0 ? name : 'localhost';
}

/** Reads the environment once; every problem is named with its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.DATABASE_URL !== undefined && e.REFSYNC_SECRET_KEY === undefined) {
    throw new ConfigError(
      'REFSYNC_SECRET_KEY is required with DATABASE_URL: every process sharing the database needs the ' +
        'same key to read the CRM tokens sealed under it. Make one with ' +
        "`node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64url'))\"` " +
        'and set it in the environment of every refsync process.',
    );
  }
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
    ...sandboxMount(e),
    trustProxy: e.REFSYNC_TRUST_PROXY,
    logLevel: e.REFSYNC_LOG_LEVEL,
    shutdownTimeoutMs: e.REFSYNC_SHUTDOWN_TIMEOUT_MS,
    pollIntervalSeconds: e.REFSYNC_POLL_INTERVAL_SECONDS,
    clickRetentionDays: e.REFSYNC_CLICK_RETENTION_DAYS,
    healthCheckSeconds: e.REFSYNC_HEALTH_CHECK_SECONDS,
    rateLimitQuietSeconds: e.REFSYNC_RATE_LIMIT_QUIET_SECONDS,
    eventsSilenceSeconds: e.REFSYNC_EVENTS_SILENCE_SECONDS,
    eventsSilencePolls: e.REFSYNC_EVENTS_SILENCE_POLLS,
    hubspotLegacySignatures: e.REFSYNC_HUBSPOT_LEGACY_SIGNATURES ?? false,
    crmBaseUrls: e.REFSYNC_CRM_BASE_URLS,
    payoutBaseUrls: e.REFSYNC_PAYOUT_BASE_URLS,
    smtpUrl: e.REFSYNC_SMTP_URL,
    mailFrom: e.REFSYNC_MAIL_FROM ?? `refsync@${mailHost(e.REFSYNC_PUBLIC_URL, displayHost)}`,
    webhooksAllowPrivate: e.REFSYNC_WEBHOOKS_ALLOW_PRIVATE ?? false,
    webhookRetryScale: e.REFSYNC_WEBHOOK_RETRY_SCALE,
  };
}
