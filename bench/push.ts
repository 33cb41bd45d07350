import { and, count, eq } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { buildApp, prepare, type RefsyncApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/core/logger.ts';
import { openDatabase } from '../src/db/client.ts';
import { pushLog, pushRecords } from '../src/db/schema.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { subscribers } from '../src/subscribers.ts';
import { createApiKey, createWorkspace } from '../src/workspaces/service.ts';
import { ApiClient, type TestApp } from '../test/helpers/app.ts';
import { SandboxHubspot, SandboxSalesforce } from '../test/helpers/crm.ts';
import { type BenchBackend, freshBackend } from './support.ts';

type Crm = 'salesforce' | 'hubspot';

const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map((size) => Number(size.trim()));
const crms = (process.env.BENCH_CRMS ?? 'salesforce,hubspot').split(',').map((crm) => crm.trim());
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const postgresUrl = process.env.BENCH_DATABASE_URL;
const verbose = process.env.BENCH_VERBOSE === '1';
const latencyMs = 50;
const runTimeoutMs = 15 * 60_000;
/** HubSpot's default: 100 calls per rolling 10 s per portal. */
const hubspotCallsPerSecond = 100 / 10;

for (const size of sizes) {
  if (!Number.isInteger(size) || size < 1) throw new Error(`BENCH_SIZES: not a positive integer: ${size}`);
}
for (const crm of crms) {
  if (crm !== 'salesforce' && crm !== 'hubspot') throw new Error(`BENCH_CRMS: unknown CRM ${crm}`);
}

interface Result {
  crm: Crm;
  referrals: number;
  acceptSeconds: number;
  /** Referrals already pushed when the last one was accepted. */
  pushedAtAccept: number;
  wallSeconds: number;
  /** From the last referral accepted to the last one pushed. */
  drainSeconds: number;
  calls: number;
  /** Sum of the CRM calls' answer times (50 ms latency each included), in seconds. */
  crmSeconds: number;
  /** CRM calls answered 429 (rate limited). */
  rateLimited: number;
  /** Seconds, or undefined when the CRM has no per-second limit. */
  rateFloorSeconds: number | undefined;
  latencyFloorSeconds: number;
  failedEntries: number;
}

const crmOf = (url: string): Crm | undefined => {
  if (url.startsWith('/sandbox/salesforce/services/data/')) return 'salesforce';
  if (url.startsWith('/sandbox/hubspot/crm/')) return 'hubspot';
  return undefined;
};

/**
 * Counts the sandbox CRM API calls (not OAuth or admin), server-wide, with the time they
 * took to answer (the added latency included) and how many were refused with 429.
 */
function callCounter() {
  const calls = { salesforce: 0, hubspot: 0 };
  const answerMs = { salesforce: 0, hubspot: 0 };
  const tooMany = { salesforce: 0, hubspot: 0 };
  /** Calls per method and path (IDs and query left out), for BENCH_VERBOSE. */
  const byRoute = new Map<string, number>();
  const plugin: FastifyPluginAsync = async (server) => {
    server.addHook('onResponse', async (request, reply) => {
      const crm = crmOf(request.url);
      if (!crm) return;
      answerMs[crm] += reply.elapsedTime;
      if (reply.statusCode === 429) tooMany[crm]++;
    });
    server.addHook('onRequest', async (request) => {
      const crm = crmOf(request.url);
      if (crm) calls[crm]++;
      if (verbose && crm) {
        const path = (request.url.split('?')[0] ?? '').replace(
          /\/[0-9][0-9A-Za-z]*|\/[0-9A-Za-z]{15,18}(?=\/|$)/g,
          '/:id',
        );
        const route = `${request.method} ${path}`;
        byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
      }
    });
  };
  // Applies the hook to the whole server rather than to a plugin of its own.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return { calls, answerMs, tooMany, byRoute, plugin };
}

/** Starts refsync with the sandboxes mounted, as the test helper does, on the given backend. */
async function startApp(backend: BenchBackend, counter: FastifyPluginAsync): Promise<TestApp> {
  const config = loadConfig({
    PORT: '0',
    REFSYNC_DATA_DIR: backend.dataDir,
    REFSYNC_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    REFSYNC_SECRET_KEY: 'bench-secret-key-0123456789',
    REFSYNC_SHUTDOWN_TIMEOUT_MS: '2000',
    ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : {}),
  });
  const database = await openDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  const app: RefsyncApp = await buildApp({
    config,
    database,
    logger: createLogger(config.logLevel),
    subscribers,
    plugins: [{ prefix: '', plugin: counter }, ...sandboxPlugins(memorySandboxStore())],
  });
  await prepare(app, { work: true });
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

async function expectStatus<T>(
  what: string,
  request: Promise<{ status: number; body: T }>,
  status: number,
): Promise<T> {
  const response = await request;
  if (response.status !== status) {
    throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/** Connects the CRM through its OAuth flow, adds the system fields, saves the push setting. */
async function connectCrm(testApp: TestApp, api: ApiClient, crm: Crm, programId: string) {
  let connectionId: string;
  let object: string;
  if (crm === 'salesforce') {
    const sf = await SandboxSalesforce.createOrg(testApp, { name: 'Bench org' });
    await sf.admin('PUT', '/faults', { latencyMs });
    connectionId = await sf.connect(api);
    object = 'Lead';
  } else {
    // Default rate limit (100 calls per 10 s) and daily limit.
    const hs = await SandboxHubspot.createPortal(testApp, { name: 'Bench portal' });
    await hs.admin('PUT', '/faults', { latencyMs });
    connectionId = await hs.connect(api);
    object = 'contacts';
  }
  await expectStatus(
    'system fields',
    api.post(`/api/v1/connections/${connectionId}/fields`, { object }),
    200,
  );
  const settings = await expectStatus(
    'push settings',
    api.post<{ id: string }>('/api/v1/push-settings', { programId, connectionId, crmObject: object }),
    201,
  );
  return settings.id;
}

async function countRows(app: RefsyncApp, settingsId: string) {
  const [done] = await app.ctx.db
    .select({ n: count() })
    .from(pushRecords)
    .where(eq(pushRecords.settingsId, settingsId));
  return done?.n ?? 0;
}

async function countFailed(app: RefsyncApp, settingsId: string) {
  const [failed] = await app.ctx.db
    .select({ n: count() })
    .from(pushLog)
    .where(and(eq(pushLog.settingsId, settingsId), eq(pushLog.action, 'failed')));
  return failed?.n ?? 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(crm: Crm, referrals: number, deadline: number): Promise<Result> {
  const { calls, answerMs, tooMany, byRoute, plugin } = callCounter();
  const backend = await freshBackend(`${crm}_${referrals}`, postgresUrl);
  const testApp = await startApp(backend, plugin);
  try {
    const { api } = await testApp.newWorkspace();
    const program = await expectStatus(
      'program',
      api.post<{ id: string }>('/api/v1/programs', { name: 'Bench' }),
      201,
    );
    const member = await expectStatus(
      'member',
      api.post<{ referralCode: string }>('/api/v1/members', {
        programId: program.id,
        email: 'referrer@bench.example',
      }),
      201,
    );
    const settingsId = await connectCrm(testApp, api, crm, program.id);
    const before = calls[crm];
    const answerMsBefore = answerMs[crm];
    const tooManyBefore = tooMany[crm];
    byRoute.clear();

    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, referrals) }, async () => {
        while (next < referrals) {
          if (Date.now() > deadline) throw new Error('creating referrals took too long');
          const i = next++;
          await expectStatus(
            `referral ${i}`,
            api.post('/api/v1/referrals', {
              programId: program.id,
              referralCode: member.referralCode,
              firstName: 'Prospect',
              lastName: `Number ${i}`,
              email: `prospect${i}@bench.example`,
              company: 'Bench Ltd',
            }),
            201,
          );
        }
      }),
    );
    const acceptSeconds = (performance.now() - started) / 1000;
    const pushedAtAccept = await countRows(testApp.app, settingsId);

    let done = 0;
    let lastReport = Date.now();
    while (done < referrals) {
      if (Date.now() > deadline) {
        const failed = await countFailed(testApp.app, settingsId);
        throw new Error(
          `${crm} ${referrals}: gave up after ${(runTimeoutMs / 60_000).toFixed(0)} minutes with ${done} of ` +
            `${referrals} referrals pushed (${calls[crm] - before} CRM calls, ${failed} failed push log entries)`,
        );
      }
      await sleep(done === 0 ? 50 : 100);
      done = await countRows(testApp.app, settingsId);
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        process.stderr.write(
          `  ${crm} ${referrals}: ${done} pushed after ${((performance.now() - started) / 1000).toFixed(0)} s, ${calls[crm] - before} CRM calls\n`,
        );
      }
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const used = calls[crm] - before;
    if (verbose) {
      for (const [route, n] of [...byRoute].sort((a, b) => b[1] - a[1])) {
        process.stderr.write(`  ${crm} ${referrals}: ${String(n).padStart(6)} ${route}\n`);
      }
    }
    return {
      crm,
      referrals,
      acceptSeconds,
      pushedAtAccept,
      wallSeconds,
      drainSeconds: wallSeconds - acceptSeconds,
      calls: used,
      crmSeconds: (answerMs[crm] - answerMsBefore) / 1000,
      rateLimited: tooMany[crm] - tooManyBefore,
      rateFloorSeconds: crm === 'hubspot' ? used / hubspotCallsPerSecond : undefined,
      latencyFloorSeconds: (used * latencyMs) / 1000,
      failedEntries: await countFailed(testApp.app, settingsId),
    };
  } finally {
    await testApp.close();
    await backend.drop();
  }
}

async function bounded(crm: Crm, referrals: number): Promise<Result> {
  const deadline = Date.now() + runTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // A little after the deadline the polling loop checks, for a run stuck somewhere else.
    timer = setTimeout(
      () =>
        reject(
          new Error(`${crm} ${referrals}: did not finish within ${runTimeoutMs / 60_000} minutes, aborted`),
        ),
      runTimeoutMs + 30_000,
    );
  });
  try {
    return await Promise.race([run(crm, referrals, deadline), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const columns = [
  ['crm', 11],
  ['referrals', 10],
  ['accept s', 9],
  ['pushed by then', 15],
  ['wall s', 8],
  ['drain s', 8],
  ['referrals/s', 12],
  ['CRM calls', 10],
  ['calls/referral', 15],
  ['in CRM s', 9],
  ['429s', 5],
  ['rate-limit floor s', 19],
  ['failed entries', 15],
] as const;

const line = (cells: readonly string[]) =>
  cells
    .map((cell, i) => (i === 0 ? cell.padEnd(columns[0][1]) : cell.padStart(columns[i]?.[1] ?? 0)))
    .join(' ');

console.log(
  `referrals pushed to the sandbox CRMs (${postgresUrl ? 'PostgreSQL' : 'PGlite'}), ${latencyMs} ms added latency ` +
    `per CRM call, default rate limits, ${concurrency} concurrent API clients`,
);
console.log(
  'accept s: POST /api/v1/referrals for all; pushed by then: referrals pushed when the last was accepted; wall s: first POST to last push done; drain s: last POST ' +
    'accepted to last push done; CRM calls: API calls only (no OAuth, no admin); in CRM s: their answer ' +
    'times added up (same process, so event-loop waits count); 429s: calls refused by the rate limit',
);
console.log(
  'rate-limit floor: hubspot calls / 10 per s (100 per 10 s); salesforce has a daily limit only, so none, ' +
    `with the latency floor (calls × ${latencyMs} ms, one at a time) in parentheses; failed entries: ` +
    "push log entries with action 'failed'",
);
console.log(line(columns.map(([name]) => name)));
let failures = 0;
for (const referrals of sizes) {
  for (const crm of crms as Crm[]) {
    try {
      const result = await bounded(crm, referrals);
      const floor =
        result.rateFloorSeconds === undefined
          ? `none (${result.latencyFloorSeconds.toFixed(1)})`
          : result.rateFloorSeconds.toFixed(1);
      console.log(
        line([
          result.crm,
          String(result.referrals),
          result.acceptSeconds.toFixed(1),
          String(result.pushedAtAccept),
          result.wallSeconds.toFixed(1),
          result.drainSeconds.toFixed(1),
          (result.referrals / result.wallSeconds).toFixed(1),
          String(result.calls),
          (result.calls / result.referrals).toFixed(3),
          result.crmSeconds.toFixed(1),
          String(result.rateLimited),
          floor,
          String(result.failedEntries),
        ]),
      );
    } catch (error) {
      failures++;
      console.log(`${crm.padEnd(11)} ${String(referrals).padStart(10)}  FAILED: ${String(error)}`);
    }
  }
}
// A run that timed out may leave work behind; do not wait for it.
process.exit(failures > 0 ? 1 : 0);
