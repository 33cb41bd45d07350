import { and, eq, isNotNull } from 'drizzle-orm';
import { connectedAmong } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { startTicker, type Ticker } from '../../core/ticker.ts';
import { receiverSettings } from '../tables.ts';
import { type PollerOptions, pollConnection } from './poll.ts';

/**
 * When polls run. Every worker process ticks every `REFSYNC_POLL_INTERVAL_SECONDS` and offers
 * one `receiver.poll` job per connection that has enabled receiver settings, throttled by
 * pg-boss to one per connection per interval whichever process offers it. The queue is
 * `stately` on the connection ID: at most one poll of a connection waits and one runs, in
 * all processes together, on PostgreSQL as on embedded PGlite. A failed poll is not retried:
 * the next tick is the retry, and the cursor has not moved.
 */

export const POLL_QUEUE = 'receiver.poll';

/** Carries the workspace and subject, so a failed poll shows in `GET /api/v1/jobs`. */
interface PollJob {
  workspaceId: string;
  connectionId: string;
  subjectId: string;
}

function pollJob(connection: { id: string; workspaceId: string }): PollJob {
  return { workspaceId: connection.workspaceId, connectionId: connection.id, subjectId: connection.id };
}

const pollers = new WeakMap<AppContext, Ticker>();
const queues = new WeakMap<AppContext, Promise<void>>();

/** Creates the queue once per process; outside any transaction, as PGlite needs. */
function ensurePollQueue(ctx: AppContext): Promise<void> {
  let created = queues.get(ctx);
  if (!created) {
    created = ctx.queue.boss.createQueue(POLL_QUEUE, {
      policy: 'stately',
      retryLimit: 0,
      // A poll stuck this long is given up (and its connection polled again by the next tick).
      expireInSeconds: 15 * 60,
      deleteAfterSeconds: 24 * 3600,
    });
    created.catch(() => queues.delete(ctx));
    queues.set(ctx, created);
  }
  return created;
}

/**
 * Asks for a poll of one connection now. Answers the job ID, or null when a poll of it is
 * already waiting to run (that one will see the same changes).
 */
export async function requestPoll(
  ctx: AppContext,
  connection: { id: string; workspaceId: string },
): Promise<string | null> {
  await ensurePollQueue(ctx);
  return ctx.queue.boss.send(POLL_QUEUE, { ...pollJob(connection) }, { singletonKey: connection.id });
}

/** Offers one throttled poll job per connection that the receiver listens to. */
async function offerDuePolls(ctx: AppContext): Promise<void> {
  const listened = await ctx.db
    .selectDistinct({ connectionId: receiverSettings.connectionId })
    .from(receiverSettings)
    .where(and(isNotNull(receiverSettings.connectionId), eq(receiverSettings.enabled, true)));
  const due = await connectedAmong(
    ctx.db,
    listened.flatMap((row) => (row.connectionId ? [row.connectionId] : [])),
  );
  for (const connection of due) {
    await ctx.queue.boss.sendThrottled(
      POLL_QUEUE,
      { ...pollJob(connection) },
      null,
      ctx.config.pollIntervalSeconds,
      connection.id,
    );
  }
}

/**
 * Starts the poll worker and the ticking in this process (processes that run workers).
 * The first tick is immediate, so a restart catches up at once.
 */
export async function startPoller(ctx: AppContext, options: PollerOptions = {}): Promise<void> {
  if (pollers.has(ctx)) return;
  await ensurePollQueue(ctx);
  await ctx.queue.boss.work<PollJob>(
    POLL_QUEUE,
    { batchSize: 1, localConcurrency: 2, pollingIntervalSeconds: 1 },
    async ([job]) => {
      if (!job) return undefined;
      const end = ctx.metrics.jobDuration.startTimer({ queue: POLL_QUEUE });
      try {
        const outcome = await pollConnection(ctx, job.data.connectionId, options);
        ctx.metrics.jobsTotal.inc({ queue: POLL_QUEUE, outcome: 'completed' });
        ctx.logger.debug({ connectionId: job.data.connectionId, ...outcome }, 'receiver poll done');
        return outcome;
      } catch (error) {
        ctx.metrics.jobsTotal.inc({ queue: POLL_QUEUE, outcome: 'failed' });
        ctx.logger.warn({ err: error, connectionId: job.data.connectionId }, 'receiver poll failed');
        throw error;
      } finally {
        end();
      }
    },
  );
  pollers.set(
    ctx,
    startTicker(
      ctx.config.pollIntervalSeconds * 1000,
      () => offerDuePolls(ctx),
      (error) => ctx.logger.warn({ err: error }, 'scheduling receiver polls failed'),
    ),
  );
}

/** Stops ticking and waits for a tick under way; running polls end with the queue's own stop. */
export async function stopPoller(ctx: AppContext): Promise<void> {
  const poller = pollers.get(ctx);
  if (!poller) return;
  pollers.delete(ctx);
  await poller.stop();
}
