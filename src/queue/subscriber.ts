import type { SQL } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { EventJob, EventType } from './events.ts';

export interface JobContext {
  /** The running app: database, queue, secrets, config. */
  app: AppContext;
  /** pg-boss job ID, stable across retries. */
  jobId: string;
  /** 0 on the first run, 1 on the first retry, ... */
  retryCount: number;
  signal: AbortSignal;
}

/** What a batch handler gets besides its jobs. */
export interface BatchContext extends Omit<JobContext, 'jobId' | 'retryCount'> {
  /** Event IDs of the batch's jobs that ran before (a retry, or a worker that died). */
  retried: ReadonlySet<string>;
}

/**
 * A queue fed by domain events. Its handler must be idempotent: a job can run more than once
 * (a crash after the work but before completion is recorded). A thrown error retries the
 * job with exponential backoff until `retryLimit`, after which it stays `failed` and visible
 * through `GET /api/v1/jobs?state=failed`.
 */
export interface EventSubscriber<E extends EventType = EventType> {
  /** Queue name, e.g. `push.referral`. */
  queue: string;
  on: readonly E[];
  handle(job: EventJob<E>, context: JobContext): Promise<void>;
  /**
   * When given, a worker takes up to `batchSize` jobs at once and hands them over together
   * (a backlog becomes a few batched CRM calls). A throw retries every job of the batch, so
   * the handler must be idempotent per job, as `handle` is.
   */
  handleBatch?(jobs: Array<EventJob<E>>, context: BatchContext): Promise<void>;
  /**
   * When given, the event is enqueued to this queue only if this condition (a boolean SQL
   * expression over the subscriber's own tables) holds inside the emitting transaction, e.g.
   * "the workspace has a webhook endpoint for this event". Undefined: always enqueued. A job
   * nobody needs costs an insert, a fetch and a completion; one query for every gated queue
   * of an event costs one round trip. The condition may read only the event's workspace, type
   * and `payload.programId`: a batch of events (`emitMany`) asks it once per distinct trio.
   */
  enqueueWhen?(event: EventJob<E>): SQL | undefined;
  /** Jobs per batch for `handleBatch`. Default 100. */
  batchSize?: number;
  /**
   * Batches one process works at once on PostgreSQL, where a batch spends much of its time
   * waiting on the database or the CRM; the handler must already be safe with several worker
   * processes. PGlite has a single session, so one there. Default 1.
   */
  batchConcurrency?: number;
  /**
   * Wake this queue's idle workers as soon as a job commits, instead of at their next poll
   * (half a second): for work someone waits on. Every wake-up is a fetch, so queues whose
   * jobs can wait leave it off. Default false.
   */
  wakeOnCommit?: boolean;
  /** Retries after the first attempt. Default 10. */
  retryLimit?: number;
  /** Seconds before the first retry; doubles each time. Default 2. */
  retryDelay?: number;
  /** Longest wait between retries in seconds. Default 600. */
  retryDelayMax?: number;
  /** Jobs a worker runs at once. Default 4. */
  concurrency?: number;
  /**
   * Longest a job (or a whole batch) may run before it counts as failed and is retried, in
   * seconds; size it to the work. Default 60. A worker that died is noticed sooner, by its
   * missing heartbeat.
   */
  expireInSeconds?: number;
}

/** Keeps the event type and the handler's payload type in step. */
export function defineSubscriber<E extends EventType>(subscriber: EventSubscriber<E>): EventSubscriber<E> {
  return subscriber;
}
