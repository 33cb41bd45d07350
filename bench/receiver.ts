/**
 * The sales receiver under load, on embedded PGlite (a data folder on disk) and on
 * PostgreSQL (BENCH_DATABASE_URL, default the local server): sales entries accepted per
 * second through `POST /api/v1/sales-entries` (saved and acknowledged), entries processed per
 * second (matched, milestone moved), and the latency from the event (its `occurredAt`, set
 * when it is sent) to the milestone change being committed, p50 and p99. The app runs as
 * `refsync start` does: API and workers in one process.
 *
 *   node --import tsx bench/receiver.ts
 *   BENCH_ENTRIES=2000 BENCH_CONCURRENCY=16 BENCH_BACKENDS=pglite node --import tsx bench/receiver.ts
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { milestoneChanges, salesEntries } from '../src/db/schema.ts';
import { createReferral } from '../src/referrals/service.ts';
import { startBenchApp } from './support.ts';

const total = Number(process.env.BENCH_ENTRIES ?? 1000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Result {
  backend: string;
  acceptedPerSecond: number;
  processedPerSecond: number;
  p50: number;
  p99: number;
}

async function measure(backend: 'pglite' | 'postgres'): Promise<Result> {
  const bench = await startBenchApp('receiver', backend === 'postgres' ? postgresUrl : undefined);
  const { app, base, headers, post, workspaceId } = bench;
  const program = await post('/api/v1/programs', { name: 'Bench' });
  await post('/api/v1/receiver-settings', {
    programId: program.id,
    connectionId: null,
    statusTriggers: [{ object: 'order', field: 'stage', value: 'Won', milestone: 'qualified' }],
    targetMatch: [{ object: 'order', field: 'refsyncId', matchOn: 'referralId' }],
    fuzzyMatch: false,
  });
  const referralIds: string[] = [];
  for (let i = 0; i < total; i++) {
    const { referral } = await createReferral(
      app.ctx.db,
      app.ctx.queue,
      workspaceId,
      { programId: program.id, email: `prospect${i}@bench.example` },
      { actor: 'system' },
    );
    referralIds.push(referral.id);
  }

  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const response = await fetch(`${base}/api/v1/sales-entries`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            eventId: `bench-${i}`,
            objectType: 'order',
            recordId: `order-${i}`,
            fields: { stage: 'Won', refsyncId: referralIds[i] },
            occurredAt: new Date().toISOString(),
          }),
        });
        await response.arrayBuffer();
        if (response.status !== 202) throw new Error(`entry ${i}: HTTP ${response.status}`);
      }
    }),
  );
  const acceptedSeconds = (performance.now() - started) / 1000;
  const counts = async () => {
    const [row] = await app.ctx.db
      .select({ done: sql<number>`count(*) filter (where ${salesEntries.status} <> 'received')` })
      .from(salesEntries)
      .where(eq(salesEntries.workspaceId, workspaceId));
    return Number(row?.done ?? 0);
  };
  while ((await counts()) < total) await new Promise((resolve) => setTimeout(resolve, 100));
  const processedSeconds = (performance.now() - started) / 1000;

  const latencies = (
    await app.ctx.db
      .select({
        ms: sql<number>`extract(epoch from (${milestoneChanges.createdAt} - ${salesEntries.occurredAt})) * 1000`,
      })
      .from(salesEntries)
      .innerJoin(
        milestoneChanges,
        and(
          eq(milestoneChanges.referralId, salesEntries.referralId),
          eq(milestoneChanges.toMilestone, 'qualified'),
        ),
      )
      .where(and(eq(salesEntries.workspaceId, workspaceId), inArray(salesEntries.status, ['success'])))
  )
    .map((row) => Number(row.ms))
    .sort((a, b) => a - b);
  await bench.close();
  if (latencies.length !== total)
    throw new Error(`${latencies.length} of ${total} entries moved a milestone`);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    backend,
    acceptedPerSecond: total / acceptedSeconds,
    processedPerSecond: total / processedSeconds,
    p50: at(0.5),
    p99: at(0.99),
  };
}

const backends = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
console.log(
  `sales entries through POST /api/v1/sales-entries: ${total} per backend, ${concurrency} concurrent clients`,
);
for (const backend of backends) {
  const result = await measure(backend);
  console.log(
    `${result.backend.padEnd(9)} accepted ${result.acceptedPerSecond.toFixed(0).padStart(5)}/s   ` +
      `processed ${result.processedPerSecond.toFixed(0).padStart(5)}/s   ` +
      `event -> milestone p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms`,
  );
}
