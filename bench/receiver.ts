/**
 * The sales receiver under load, on embedded PGlite (a data folder on disk) and on
 * PostgreSQL (BENCH_DATABASE_URL, default the local server). Entries go through
 * `POST /api/v1/sales-entries`, each moving one referral; latencies are read from the app's
 * own `/metrics` (`refsync_sales_entry_to_milestone_seconds`: entry received to milestone
 * change committed). Three runs per backend (BENCH_MODES, default all):
 *
 * - single: BENCH_SINGLE (100) events one at a time on a quiet app, p50 and p99.
 * - burst: BENCH_ENTRIES (1000) events from BENCH_CONCURRENCY (16) clients at once, API and
 *   workers in one process as `refsync start` runs them: accepted/s, processed/s (from the
 *   first request to the last entry done), p50 and p99.
 * - backlog: the same entries accepted with no worker running, then the workers started:
 *   entries processed per second from the backlog alone, and the queue wait it saw.
 *
 *   node --import tsx bench/receiver.ts
 *   BENCH_ENTRIES=2000 BENCH_MODES=backlog BENCH_BACKENDS=pglite node --import tsx bench/receiver.ts
 */
import { and, eq, sql } from 'drizzle-orm';
import { salesEntries } from '../src/db/schema.ts';
import { createReferral } from '../src/referrals/service.ts';
import { type BenchApp, histogramSince, quantileMs, readHistogram, startBenchApp } from './support.ts';

const total = Number(process.env.BENCH_ENTRIES ?? 1000);
const singles = Number(process.env.BENCH_SINGLE ?? 100);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const modes = (process.env.BENCH_MODES ?? 'single,burst,backlog').split(',');
const backends = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;

const LATENCY = 'refsync_sales_entry_to_milestone_seconds';
const QUEUE_WAIT = 'refsync_job_queue_wait_seconds';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A program whose API entries move the referral named in `refsyncId` to `qualified`. */
async function programWithReferrals(bench: BenchApp, count: number): Promise<string[]> {
  const { app, post, workspaceId } = bench;
  const program = await post('/api/v1/programs', { name: `Bench ${Math.random()}` });
  await post('/api/v1/receiver-settings', {
    programId: program.id,
    connectionId: null,
    statusTriggers: [{ object: 'order', field: 'stage', value: 'Won', milestone: 'qualified' }],
    targetMatch: [{ object: 'order', field: 'refsyncId', matchOn: 'referralId' }],
    fuzzyMatch: false,
  });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { referral } = await createReferral(
      app.ctx.db,
      app.ctx.queue,
      workspaceId,
      { programId: program.id, email: `prospect${i}@bench.example` },
      { actor: 'system' },
    );
    ids.push(referral.id);
  }
  return ids;
}

async function send(bench: BenchApp, key: string, referralId: string): Promise<void> {
  const response = await fetch(`${bench.base}/api/v1/sales-entries`, {
    method: 'POST',
    headers: bench.headers,
    body: JSON.stringify({
      eventId: key,
      objectType: 'order',
      recordId: key,
      fields: { stage: 'Won', refsyncId: referralId },
      occurredAt: new Date().toISOString(),
    }),
  });
  await response.arrayBuffer();
  if (response.status !== 202) throw new Error(`entry ${key}: HTTP ${response.status}`);
}

/** Sends one entry per referral from `concurrency` clients; answers the seconds it took. */
async function sendAll(bench: BenchApp, tag: string, referralIds: string[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < referralIds.length) {
        const i = next++;
        await send(bench, `${tag}-${i}`, referralIds[i] ?? '');
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

async function doneCount(bench: BenchApp): Promise<{ done: number; moved: number }> {
  const [row] = await bench.app.ctx.db
    .select({
      done: sql<number>`count(*) filter (where ${salesEntries.status} <> 'received')`,
      moved: sql<number>`count(*) filter (where ${salesEntries.status} = 'success')`,
    })
    .from(salesEntries)
    .where(and(eq(salesEntries.workspaceId, bench.workspaceId)));
  return { done: Number(row?.done ?? 0), moved: Number(row?.moved ?? 0) };
}

async function waitDone(bench: BenchApp, count: number, pollMs: number): Promise<void> {
  for (;;) {
    const { done, moved } = await doneCount(bench);
    if (done >= count) {
      if (moved !== count) throw new Error(`${moved} of ${count} entries moved a milestone`);
      return;
    }
    await sleep(pollMs);
  }
}

const latencyOf = (bench: BenchApp) => readHistogram(bench.base, LATENCY, 'connection="api"');
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function single(backend: string, url: string | undefined): Promise<string> {
  const bench = await startBenchApp('receiver_single', url);
  try {
    const referralIds = await programWithReferrals(bench, singles);
    const before = await latencyOf(bench);
    for (const [i, referralId] of referralIds.entries()) {
      await send(bench, `single-${i}`, referralId);
      await waitDone(bench, i + 1, 5);
      await sleep(50);
    }
    const seen = histogramSince(await latencyOf(bench), before);
    return `${backend.padEnd(9)} single   ${singles} events one at a time: event -> milestone p50 ${ms(quantileMs(seen, 0.5))}, p99 ${ms(quantileMs(seen, 0.99))}`;
  } finally {
    await bench.close();
  }
}

async function burst(backend: string, url: string | undefined): Promise<string> {
  const bench = await startBenchApp('receiver_burst', url);
  try {
    const referralIds = await programWithReferrals(bench, total);
    const before = await latencyOf(bench);
    const started = performance.now();
    const acceptedSeconds = await sendAll(bench, 'burst', referralIds);
    await waitDone(bench, total, 50);
    const processedSeconds = (performance.now() - started) / 1000;
    const seen = histogramSince(await latencyOf(bench), before);
    const wait = await readHistogram(bench.base, QUEUE_WAIT, 'queue="sales-entries"');
    return (
      `${backend.padEnd(9)} burst    accepted ${(total / acceptedSeconds).toFixed(0).padStart(5)}/s   ` +
      `processed ${(total / processedSeconds).toFixed(0).padStart(5)}/s   ` +
      `event -> milestone p50 ${ms(quantileMs(seen, 0.5))}, p99 ${ms(quantileMs(seen, 0.99))}   ` +
      `queue wait p99 ${ms(quantileMs(wait, 0.99))}`
    );
  } finally {
    await bench.close();
  }
}

async function backlog(backend: string, url: string | undefined): Promise<string> {
  const bench = await startBenchApp('receiver_backlog', url, { work: false });
  try {
    const referralIds = await programWithReferrals(bench, total);
    const acceptedSeconds = await sendAll(bench, 'backlog', referralIds);
    const started = performance.now();
    await bench.app.ctx.queue.work(bench.app.ctx);
    await waitDone(bench, total, 50);
    const processedSeconds = (performance.now() - started) / 1000;
    return (
      `${backend.padEnd(9)} backlog  accepted ${(total / acceptedSeconds).toFixed(0).padStart(5)}/s (no workers)   ` +
      `processed ${(total / processedSeconds).toFixed(0).padStart(5)}/s from the backlog`
    );
  } finally {
    await bench.close();
  }
}

const runs = { single, burst, backlog } as const;
console.log(
  `sales entries through POST /api/v1/sales-entries: ${total} per burst and backlog, ${concurrency} concurrent clients`,
);
for (const backend of backends) {
  const url = backend === 'postgres' ? postgresUrl : undefined;
  for (const mode of modes) {
    const run = runs[mode as keyof typeof runs];
    if (!run) throw new Error(`BENCH_MODES: no run named ${mode} (single, burst, backlog)`);
    console.log(await run(backend, url));
  }
}
