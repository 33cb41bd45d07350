import { and, count, eq } from 'drizzle-orm';
import type { RefsyncApp } from '../src/app.ts';
import { pushLog, pushRecords } from '../src/db/schema.ts';
import type { ApiClient, TestApp } from '../test/helpers/app.ts';
import { SandboxHubspot, SandboxSalesforce } from '../test/helpers/crm.ts';
import { type Crm, callCounter, referralToCrmLatency } from './push-support.ts';
import { freshBackend, startSandboxedApp } from './support.ts';

const sizes = (process.env.BENCH_SIZES ?? '1000').split(',').map((size) => Number(size.trim()));
/** Backlog runs: `crm:size`, referrals created with no worker running, then pushed from the queue. */
const backlogs = (process.env.BENCH_BACKLOGS ?? 'hubspot:10000,salesforce:1000')
  .split(',')
  .filter((item) => item.trim() !== '')
  .map((item) => {
    const [crm, size] = item.trim().split(':');
    return { crm: crm as Crm, referrals: Number(size) };
  });
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
  mode: 'live' | 'backlog';
  /** Referral created → CRM record written, from /metrics' histogram: p50 and p99 in seconds. */
  latency: { p50: number; p99: number } | undefined;
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

async function run(crm: Crm, referrals: number, deadline: number, mode: 'live' | 'backlog'): Promise<Result> {
  const { calls, answerMs, tooMany, byRoute, plugin } = callCounter();
  const backend = await freshBackend(`${crm}_${referrals}_${mode}`, postgresUrl);
  const testApp = await startSandboxedApp(backend, {
    work: mode === 'live',
    plugins: [{ prefix: '', plugin }],
  });
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

    const createStarted = performance.now();
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
    const acceptSeconds = (performance.now() - createStarted) / 1000;
    const pushedAtAccept = await countRows(testApp.app, settingsId);
    // A backlog is timed from the moment the workers start on it.
    const started = mode === 'live' ? createStarted : performance.now();
    if (mode === 'backlog') await testApp.app.ctx.queue.work(testApp.app.ctx);

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
      mode,
      latency: await referralToCrmLatency(testApp.app),
      referrals,
      acceptSeconds,
      pushedAtAccept,
      wallSeconds,
      drainSeconds: mode === 'live' ? wallSeconds - acceptSeconds : wallSeconds,
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

async function bounded(crm: Crm, referrals: number, mode: 'live' | 'backlog'): Promise<Result> {
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
    return await Promise.race([run(crm, referrals, deadline, mode), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const columns = [
  ['crm', 11],
  ['mode', 8],
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
  ['to CRM p50/p99 s', 17],
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
  'mode live: referrals pushed while they are created; backlog: created with no worker running, then ' +
    'timed from the workers starting (wall s = drain s); to CRM p50/p99: referral created to CRM record ' +
    'written, from the refsync_referral_to_crm_seconds histogram on /metrics (bucket upper bounds)',
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
const runs = [
  ...sizes.flatMap((referrals) => (crms as Crm[]).map((crm) => ({ crm, referrals, mode: 'live' as const }))),
  ...backlogs.map((item) => ({ ...item, mode: 'backlog' as const })),
];
for (const { crm, referrals, mode } of runs) {
  try {
    const result = await bounded(crm, referrals, mode);
    const floor =
      result.rateFloorSeconds === undefined
        ? `none (${result.latencyFloorSeconds.toFixed(1)})`
        : result.rateFloorSeconds.toFixed(1);
    console.log(
      line([
        result.crm,
        result.mode,
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
        result.latency ? `${result.latency.p50}/${result.latency.p99}` : '-',
      ]),
    );
  } catch (error) {
    failures++;
    console.log(
      `${crm.padEnd(11)} ${mode.padStart(8)} ${String(referrals).padStart(10)}  FAILED: ${String(error)}`,
    );
  }
}
// A run that timed out may leave work behind; do not wait for it.
process.exit(failures > 0 ? 1 : 0);
