import { startBenchApp } from './support.ts';

const total = Number(process.env.BENCH_REFERRALS ?? 2000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Result {
  backend: string;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(backend: 'pglite' | 'postgres'): Promise<Result> {
  const bench = await startBenchApp('api', backend === 'postgres' ? postgresUrl : undefined);
  const { base, headers } = bench;
  const program = (await (
    await fetch(`${base}/api/v1/programs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Bench' }),
    })
  ).json()) as { id: string };
  const member = (await (
    await fetch(`${base}/api/v1/members`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ programId: program.id, email: 'referrer@bench.example' }),
    })
  ).json()) as { referralCode: string };

  const latencies: number[] = [];
  let next = 0;
  const createOne = async (i: number) => {
    const started = performance.now();
    const response = await fetch(`${base}/api/v1/referrals`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        programId: program.id,
        referralCode: member.referralCode,
        firstName: 'Prospect',
        lastName: `Number ${i}`,
        email: `prospect${i}@bench.example`,
        company: 'Bench Ltd',
      }),
    });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`referral ${i}: HTTP ${response.status}`);
    latencies.push(performance.now() - started);
  };
  // Warm-up, not measured.
  for (let i = 0; i < 50; i++) await createOne(-i - 1);
  latencies.length = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await createOne(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await bench.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { backend, perSecond: total / seconds, p50: at(0.5), p99: at(0.99) };
}

const backends = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
console.log(
  `referrals created through POST /api/v1/referrals: ${total} per backend, ${concurrency} concurrent clients`,
);
for (const backend of backends) {
  const result = await measure(backend);
  console.log(
    `${result.backend.padEnd(9)} ${result.perSecond.toFixed(0).padStart(6)} referrals/s   latency p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`,
  );
}
