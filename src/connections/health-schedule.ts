import { eq, inArray, or } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { startTicker, type Ticker } from '../core/ticker.ts';
import { reviewEventsAlert } from '../receiver/poller/silence.ts';
import { checkConnectionFields, type FieldCheckOutcome } from './field-check.ts';
import { clearQuietRateLimit } from './rate-limit-alert.ts';
import { connectionAlerts, connections } from './tables.ts';

/**
 * When connections' health is checked. Every worker process ticks and offers one
 * `connections.health` job per connected connection, throttled by pg-boss to one per
 * connection per `REFSYNC_HEALTH_CHECK_SECONDS` whichever process offers it (the pattern of
 * the receiver's poll scheduler). A failed check is not retried: the next one is the retry.
 * `POST /api/v1/connections/{id}/health-check` runs one at once.
 */

export const HEALTH_QUEUE = 'connections.health';

interface HealthJob {
  workspaceId: string;
  connectionId: string;
  subjectId: string;
}

/** Everything a health check looks at, besides what CRM calls and polls note as they happen. */
export async function checkConnectionHealth(
  ctx: AppContext,
  connectionId: string,
): Promise<FieldCheckOutcome> {
  await clearQuietRateLimit(ctx, connectionId);
  const outcome = await checkConnectionFields(ctx, connectionId);
  // A connection that is not connected is not polled: nothing would clear its events alert.
  await reviewEventsAlert(ctx, connectionId, outcome.status === 'checked');
  return outcome;
}

const running = new WeakMap<AppContext, Ticker>();

/** Outside any transaction, as PGlite needs. */
function ensureQueue(ctx: AppContext): Promise<void> {
  return ctx.queue.boss.createQueue(HEALTH_QUEUE, {
    policy: 'stately',
    retryLimit: 0,
    expireInSeconds: 10 * 60,
    deleteAfterSeconds: 24 * 3600,
  });
}

async function offerDueChecks(ctx: AppContext): Promise<void> {
  // Connected ones, and any other with alerts (those that end by going quiet still must).
  const due = await ctx.db
    .select({ id: connections.id, workspaceId: connections.workspaceId })
    .from(connections)
    .where(
      or(
        eq(connections.status, 'connected'),
        inArray(connections.id, ctx.db.select({ id: connectionAlerts.connectionId }).from(connectionAlerts)),
      ),
    );
  for (const connection of due) {
    const job: HealthJob = {
      workspaceId: connection.workspaceId,
      connectionId: connection.id,
      subjectId: connection.id,
    };
    await ctx.queue.boss.sendThrottled(
      HEALTH_QUEUE,
      { ...job },
      null,
      ctx.config.healthCheckSeconds,
      connection.id,
    );
  }
}

/** Starts the health check worker and the ticking in this process (processes that run workers). */
export async function startHealthChecks(ctx: AppContext): Promise<void> {
  if (running.has(ctx)) return;
  await ensureQueue(ctx);
  await ctx.queue.boss.work<HealthJob>(
    HEALTH_QUEUE,
    { batchSize: 1, localConcurrency: 1, pollingIntervalSeconds: 5 },
    async ([job]) => {
      if (!job) return undefined;
      const end = ctx.metrics.jobDuration.startTimer({ queue: HEALTH_QUEUE });
      try {
        const outcome = await checkConnectionHealth(ctx, job.data.connectionId);
        ctx.metrics.jobsTotal.inc({ queue: HEALTH_QUEUE, outcome: 'completed' });
        return outcome;
      } catch (error) {
        ctx.metrics.jobsTotal.inc({ queue: HEALTH_QUEUE, outcome: 'failed' });
        ctx.logger.warn(
          { err: error, connectionId: job.data.connectionId },
          'connection health check failed',
        );
        throw error;
      } finally {
        end();
      }
    },
  );
  // Offers are throttled per connection, so ticking more often than checks are due is cheap.
  running.set(
    ctx,
    startTicker(
      Math.min(ctx.config.healthCheckSeconds, 300) * 1000,
      () => offerDueChecks(ctx),
      (error) => ctx.logger.warn({ err: error }, 'scheduling health checks failed'),
    ),
  );
}

/** Stops ticking and waits for a tick under way; running checks end with the queue's own stop. */
export async function stopHealthChecks(ctx: AppContext): Promise<void> {
  const ticker = running.get(ctx);
  if (!ticker) return;
  running.delete(ctx);
  await ticker.stop();
}
