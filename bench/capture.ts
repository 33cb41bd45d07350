import { startBenchApp } from './support.ts';

/** Referral link resolution: `/r/{code}` (and unknown codes) per second and latency, per backend. */

const total = Number(process.env.BENCH_REDIRECTS ?? 3000);
const members = Number(process.env.BENCH_MEMBERS ?? 500);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const browser =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

interface Result {
  perSecond: number;
  p50: number;
  p99: number;
}

async function run(
  base: string,
  paths: (i: number) => string,
  address: (i: number) => string,
): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const one = async (i: number) => {
    const started = performance.now();
    const response = await fetch(`${base}${paths(i)}`, {
      redirect: 'manual',
      headers: { 'user-agent': browser, 'x-forwarded-for': address(i) },
    });
    await response.arrayBuffer();
    if (response.status !== 302) throw new Error(`${paths(i)}: HTTP ${response.status}`);
    latencies.push(performance.now() - started);
  };
  for (let i = 0; i < 50; i++) await one(i);
  latencies.length = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await one(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: total / seconds, p50: at(0.5), p99: at(0.99) };
}

async function measure(backend: 'pglite' | 'postgres'): Promise<Record<string, Result>> {
  // Loopback is a trusted proxy here, so each request can come from an address of its own.
  const bench = await startBenchApp('capture', backend === 'postgres' ? postgresUrl : undefined, {
    env: { REFSYNC_TRUST_PROXY: '127.0.0.1' },
  });
  try {
    const program = await bench.post<{ id: string }>('/api/v1/programs', { name: 'Bench' });
    const response = await fetch(`${bench.base}/api/v1/programs/${program.id}/capture-settings`, {
      method: 'PATCH',
      headers: bench.headers,
      body: JSON.stringify({ landingUrl: 'https://shop.example/welcome' }),
    });
    if (response.status !== 200) throw new Error(`settings: HTTP ${response.status}`);
    const codes: string[] = [];
    for (let i = 0; i < members; i++) {
      const member = await bench.post<{ referralCode: string }>('/api/v1/members', {
        programId: program.id,
        email: `member${i}@bench.example`,
      });
      codes.push(member.referralCode);
    }
    const code = (i: number) => codes[(i * 7919) % codes.length] ?? '';
    const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    return {
      '/r/{code}': await run(bench.base, (i) => `/r/${code(i)}`, address),
      '/r/{program}?ref=': await run(bench.base, (i) => `/r/${program.id}?ref=${code(i)}`, address),
      // Each address guesses once, staying under the miss limit.
      'unknown code': await run(
        bench.base,
        (i) => `/r/NOPE${i}`,
        (i) => `10.200.${(i >> 8) & 255}.${i & 255}`,
      ),
    };
  } finally {
    await bench.close();
  }
}

const backends = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
console.log(
  `referral links resolved (click recorded, 302 to the landing URL): ${total} per kind and backend, ` +
    `${members} members, ${concurrency} concurrent clients`,
);
for (const backend of backends) {
  const results = await measure(backend);
  for (const [kind, result] of Object.entries(results)) {
    console.log(
      `${backend.padEnd(9)} ${kind.padEnd(20)} ${result.perSecond.toFixed(0).padStart(6)} redirects/s   latency p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`,
    );
  }
}
