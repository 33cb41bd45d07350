import { and, eq, lt, sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/client.ts';
import { captureRateCounters } from './tables.ts';

/** How much one address (or key) may do in a window before refsync answers 429. */
export const limits = {
  /** Links to codes that name nobody: past this, every link answers 429 to that address. */
  linkMisses: { max: 20, windowSeconds: 600 },
  /** Conversion script calls per address and publishable key. */
  scriptCalls: { max: 30, windowSeconds: 60 },
  /** Conversion script signups per publishable key, from everyone. */
  keySignups: { max: 600, windowSeconds: 60 },
  /** Hosted form and join posts per address and program. */
  formPosts: { max: 10, windowSeconds: 600 },
  /** Portal sign-in requests per address, and per email address. */
  signInRequests: { max: 5, windowSeconds: 600 },
} as const;

export type Limit = (typeof limits)[keyof typeof limits];

function windowOf(limit: Limit, now = Date.now()): Date {
  const size = limit.windowSeconds * 1000;
  return new Date(Math.floor(now / size) * size);
}

/** Counts one more use of `bucket` in the current window and answers the count so far. */
export async function countHit(db: Db, bucket: string, limit: Limit): Promise<number> {
  const [row] = await db
    .insert(captureRateCounters)
    .values({ bucket, windowStart: windowOf(limit), hits: 1 })
    .onConflictDoUpdate({
      target: [captureRateCounters.bucket, captureRateCounters.windowStart],
      set: { hits: sql`${captureRateCounters.hits} + 1` },
    })
    .returning({ hits: captureRateCounters.hits });
  // Now and then, old windows are dropped (no job needed: any process may do it).
  if (Math.random() < 0.01) {
    await db
      .delete(captureRateCounters)
      .where(lt(captureRateCounters.windowStart, new Date(Date.now() - 24 * 3600 * 1000)));
  }
  return row?.hits ?? 1;
}

/** How often `bucket` was used in the current window, without counting. */
export async function hitsSoFar(db: Db, bucket: string, limit: Limit): Promise<number> {
  const [row] = await db
    .select({ hits: captureRateCounters.hits })
    .from(captureRateCounters)
    .where(and(eq(captureRateCounters.bucket, bucket), eq(captureRateCounters.windowStart, windowOf(limit))));
  return row?.hits ?? 0;
}

export function rateLimited(limit: Limit): AppError {
  return new AppError('rate_limited', `Too many requests; try again in ${limit.windowSeconds} seconds`, {
    retryable: true,
  });
}

/** Counts a use and throws 429 past the limit. */
export async function spend(db: Db, bucket: string, limit: Limit): Promise<void> {
  if ((await countHit(db, bucket, limit)) > limit.max) throw rateLimited(limit);
}

/** The caller's address as a keyed hash: enough to count and limit, useless to anyone else. */
export function addressHash(ctx: AppContext, request: FastifyRequest): string {
  return ctx.secrets.mac('capture:ip', request.ip).slice(0, 32);
}

// Crawlers, link unfurlers (chat apps show previews), uptime checks, command-line clients and
// headless browsers. A missing user agent is not a person's browser either.
const botPattern =
  /bot\b|bot\/|crawl|spider|slurp|preview|facebookexternalhit|embedly|whatsapp|telegram|discord|skype|slack|linkedin|pinterest|curl\/|wget|python-|go-http-client|java\/|okhttp|axios|node-fetch|undici|headless|lighthouse|pingdom|uptime|monitor|scan/i;

export function isBot(userAgent: string | undefined): boolean {
  return !userAgent || userAgent.length < 10 || botPattern.test(userAgent);
}

/** Answers that a person's browser or a CDN must not keep. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}
