import { and, eq, sql } from 'drizzle-orm';
import { type DrizzleTransactionLike, fromDrizzle } from 'pg-boss';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { postOnce, type SendResult } from './http-send.ts';
import { signatureHeader } from './signing.ts';
import { webhookAttempts, webhookEndpoints, webhookMessages } from './tables.ts';

export const DELIVERY_QUEUE = 'webhook-deliveries';

/**
 * Seconds before each attempt of a message, counted from the previous failure: the schedule
 * Svix users know (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
 */
export const RETRY_SCHEDULE_SECONDS = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;

/** An endpoint whose every attempt failed for this long is disabled. */
export const DISABLE_AFTER_SECONDS = 5 * 24 * 3600;

export interface DeliveryJob {
  messageId: string;
  round: number;
  attempt: number;
}

/** Enqueues one attempt inside `tx`, so it exists exactly when the change that caused it commits. */
export async function scheduleAttempt(ctx: AppContext, tx: Db, job: DeliveryJob): Promise<void> {
  const delay = (RETRY_SCHEDULE_SECONDS[job.attempt] ?? 0) * ctx.config.webhookRetryScale;
  const db = fromDrizzle(tx as unknown as DrizzleTransactionLike, sql);
  await ctx.queue.boss.send(
    DELIVERY_QUEUE,
    { ...job },
    {
      db,
      singletonKey: `${job.messageId}:${job.round}:${job.attempt}`,
      ...(delay > 0 ? { startAfter: new Date(Date.now() + delay * 1000) } : {}),
    },
  );
}

/** The secrets that sign now: the current one, and the previous one for a day after a rotation. */
function signingSecrets(ctx: AppContext, endpoint: typeof webhookEndpoints.$inferSelect): string[] {
  const secrets = [ctx.secrets.open(endpoint.secretSealed)];
  if (
    endpoint.previousSecretSealed &&
    endpoint.previousSecretExpiresAt &&
    endpoint.previousSecretExpiresAt.getTime() > Date.now()
  ) {
    secrets.push(ctx.secrets.open(endpoint.previousSecretSealed));
  }
  return secrets;
}

/**
 * One attempt of one message. Idempotent: the attempt row is unique per (message, round,
 * attempt), and the next attempt is enqueued in the transaction that records this one.
 */
export async function attemptDelivery(ctx: AppContext, job: DeliveryJob): Promise<void> {
  const [message] = await ctx.db.select().from(webhookMessages).where(eq(webhookMessages.id, job.messageId));
  if (message?.status !== 'pending' || message.round !== job.round) return;
  if (message.attempts > job.attempt) return;
  const [endpoint] = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, message.endpointId));
  if (!endpoint?.enabled) {
    await ctx.db
      .update(webhookMessages)
      .set({ status: 'failed', nextAttemptAt: null })
      .where(eq(webhookMessages.id, message.id));
    return;
  }
  const sentAt = new Date();
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'refsync-webhooks',
    'webhook-id': message.id,
    'webhook-timestamp': Math.floor(sentAt.getTime() / 1000).toString(),
    'webhook-signature': signatureHeader(signingSecrets(ctx, endpoint), message.id, sentAt, message.body),
  };
  const result = await postOnce(endpoint.url, headers, message.body, ctx.config.webhooksAllowPrivate);
  await record(ctx, job, message.workspaceId, endpoint, result);
}

async function record(
  ctx: AppContext,
  job: DeliveryJob,
  workspaceId: string,
  endpoint: typeof webhookEndpoints.$inferSelect,
  result: SendResult,
): Promise<void> {
  const success = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  await ctx.db.transaction(async (tx) => {
    const inserted = await tx
      .insert(webhookAttempts)
      .values({
        id: newId('webhookAttempt'),
        workspaceId,
        messageId: job.messageId,
        endpointId: endpoint.id,
        round: job.round,
        attempt: job.attempt,
        statusCode: result.statusCode,
        success,
        error: result.error ?? (success ? null : `answered ${result.statusCode}`),
        durationMs: result.durationMs,
        responseExcerpt: result.excerpt,
      })
      .onConflictDoNothing()
      .returning({ id: webhookAttempts.id });
    // Another run of this job recorded the attempt first.
    if (inserted.length === 0) return;
    const now = new Date();
    if (success) {
      await tx
        .update(webhookMessages)
        .set({ status: 'delivered', attempts: job.attempt + 1, deliveredAt: now, nextAttemptAt: null })
        .where(eq(webhookMessages.id, job.messageId));
      await tx
        .update(webhookEndpoints)
        .set({ failingSince: null })
        .where(eq(webhookEndpoints.id, endpoint.id));
      return;
    }
    const next = job.attempt + 1;
    const delay = RETRY_SCHEDULE_SECONDS[next];
    if (delay === undefined) {
      await tx
        .update(webhookMessages)
        .set({ status: 'failed', attempts: next, nextAttemptAt: null })
        .where(eq(webhookMessages.id, job.messageId));
    } else {
      const nextAttemptAt = new Date(now.getTime() + delay * ctx.config.webhookRetryScale * 1000);
      await tx
        .update(webhookMessages)
        .set({ attempts: next, nextAttemptAt })
        .where(eq(webhookMessages.id, job.messageId));
      await scheduleAttempt(ctx, tx, { ...job, attempt: next });
    }
    await noteFailure(ctx, tx, workspaceId, endpoint, now);
  });
}

async function noteFailure(
  ctx: AppContext,
  tx: Db,
  workspaceId: string,
  endpoint: typeof webhookEndpoints.$inferSelect,
  now: Date,
): Promise<void> {
  const failingSince = endpoint.failingSince ?? now;
  const limitMs = DISABLE_AFTER_SECONDS * ctx.config.webhookRetryScale * 1000;
  if (now.getTime() - failingSince.getTime() < limitMs) {
    if (!endpoint.failingSince) {
      await tx
        .update(webhookEndpoints)
        .set({ failingSince: now })
        .where(and(eq(webhookEndpoints.id, endpoint.id), sql`${webhookEndpoints.failingSince} is null`));
    }
    return;
  }
  const reason = `every delivery failed since ${failingSince.toISOString()}`;
  const disabled = await tx
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: reason, updatedAt: now })
    .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.enabled, true)))
    .returning({ id: webhookEndpoints.id });
  if (disabled.length === 0) return;
  await ctx.queue.emit(tx, {
    workspaceId,
    type: 'webhook_endpoint.disabled',
    subjectId: endpoint.id,
    payload: { endpointId: endpoint.id, url: endpoint.url, reason },
  });
}

/** Creates the delivery queue and, in processes that run jobs, its workers. */
export async function startWebhookDeliveries(ctx: AppContext, options: { work: boolean }): Promise<void> {
  const queueOptions = {
    // The schedule is ours (each attempt enqueues the next); these retries only cover a
    // worker that died or a database error while recording an attempt.
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 60,
    heartbeatSeconds: 15,
    deleteAfterSeconds: 14 * 24 * 3600,
  };
  await ctx.queue.boss.createQueue(DELIVERY_QUEUE, queueOptions);
  await ctx.queue.boss.updateQueue(DELIVERY_QUEUE, queueOptions);
  if (!options.work) return;
  await ctx.queue.boss.work<DeliveryJob>(
    DELIVERY_QUEUE,
    { batchSize: 1, localConcurrency: 4, pollingIntervalSeconds: 0.5 },
    async ([job]) => {
      if (!job) return;
      const end = ctx.metrics.jobDuration.startTimer({ queue: DELIVERY_QUEUE });
      try {
        await attemptDelivery(ctx, job.data);
        ctx.metrics.jobsTotal.inc({ queue: DELIVERY_QUEUE, outcome: 'completed' });
      } catch (error) {
        ctx.metrics.jobsTotal.inc({ queue: DELIVERY_QUEUE, outcome: 'failed' });
        ctx.logger.warn({ err: error, queue: DELIVERY_QUEUE, jobId: job.id }, 'webhook delivery job failed');
        throw error;
      } finally {
        end();
      }
    },
  );
}
