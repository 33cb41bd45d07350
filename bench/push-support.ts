import type { FastifyPluginAsync } from 'fastify';
import type { RefsyncApp } from '../src/app.ts';

/** What bench/push.ts counts and reads: CRM calls seen by the sandboxes, and push latency. */

export type Crm = 'salesforce' | 'hubspot';

const verbose = process.env.BENCH_VERBOSE === '1';

const crmOf = (url: string): Crm | undefined => {
  if (url.startsWith('/sandbox/salesforce/services/data/')) return 'salesforce';
  if (url.startsWith('/sandbox/hubspot/crm/')) return 'hubspot';
  return undefined;
};

/**
 * Counts the sandbox CRM API calls (not OAuth or admin), server-wide, with the time they
 * took to answer (the added latency included) and how many were refused with 429.
 */
export function callCounter() {
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

/** A quantile of a prom-client histogram's buckets (the upper bound of the bucket it falls in). */
function quantile(buckets: Array<{ le: number; count: number }>, q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  const wanted = q * total;
  return buckets.find((bucket) => bucket.count >= wanted)?.le ?? Number.POSITIVE_INFINITY;
}

export async function referralToCrmLatency(app: RefsyncApp) {
  const { values } = await app.ctx.metrics.referralToCrm.get();
  const buckets = values
    .filter((value) => value.metricName === 'refsync_referral_to_crm_seconds_bucket')
    .map((value) => ({
      le: Number((value.labels as Record<string, string | number>).le),
      count: value.value,
    }))
    .sort((a, b) => a.le - b.le);
  if (buckets.length === 0) return undefined;
  return { p50: quantile(buckets, 0.5), p99: quantile(buckets, 0.99) };
}
