import { sql } from 'drizzle-orm';
import { type DrizzleTransactionLike, fromDrizzle, fromPglite, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { Metrics } from '../core/metrics.ts';
import { type Database, type Db, openPool, type Pool, queryRows } from '../db/client.ts';
import { databaseUnavailable } from '../db/errors.ts';
import type { DomainEvents, EventJob, EventJobOf, EventType } from './events.ts';
import type { EventSubscriber } from './subscriber.ts';
import { events } from './tables.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Default for `EventSubscriber.expireInSeconds`. */
export const DEFAULT_JOB_EXPIRY_SECONDS = 60;

/**
 * A running job's worker proves it is alive this often (pg-boss refreshes it at half the
 * interval); a job whose worker died is retried once this much time passed without one,
 * however long its expiry. 10 is pg-boss's minimum.
 */
export const JOB_HEARTBEAT_SECONDS = 15;

/**
 * How often pg-boss's supervisor looks for expired and heartbeat-less jobs. Its default, 60 s
 * for each of two timers, alone could hold a crashed worker's jobs for two minutes.
 */
export const JOB_SUPERVISE_INTERVAL_SECONDS = 10;

/** Connections the job handlers of one process share on PostgreSQL, apart from the API's. */
export const WORKER_POOL_SIZE = 6;

const NO_JOB_ID = '00000000-0000-0000-0000-000000000000';

/**
 * On a queue woken on commit, a short batch that began soon after the previous one ended
 * means entries are streaming in one by one: the worker then waits this long before its next
 * fetch, so the next batch gathers what arrived meanwhile instead of taking them one at a
 * time (each batch has a fixed cost, and on PGlite it holds the only session the requests
 * need too). An event arriving on a quiet queue is still taken at once.
 */
export const WAKE_COALESCE_MS = 20;

export interface JobQueueOptions {
  database: Database;
  subscribers: readonly EventSubscriber[];
  metrics: Metrics;
  logger: Logger;
  /** How often an idle worker looks for jobs, in seconds. Default 0.5. */
  pollingIntervalSeconds?: number;
}

export interface EmitInput<E extends EventType> {
  workspaceId: string;
  type: E;
  subjectId: string;
  payload: DomainEvents[E];
}

/**
 * Domain events and the jobs they cause. `emit` writes the event row and one pg-boss job per
 * subscribed queue through the caller's transaction, so a rolled-back change leaves no job
 * behind and a committed one never misses its jobs. On PGlite pg-boss shares the single
 * embedded session; on PostgreSQL it has its own pool and schema (`pgboss`).
 */
export class JobQueue {
  readonly boss: PgBoss;
  readonly #subscribers: readonly EventSubscriber[];
  readonly #byEvent = new Map<EventType, EventSubscriber[]>();
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #pollingIntervalSeconds: number;
  #working = false;
  #workerPool: Pool | undefined;

  constructor(options: JobQueueOptions) {
    const { database } = options;
    const supervision = {
      superviseIntervalSeconds: JOB_SUPERVISE_INTERVAL_SECONDS,
      monitorIntervalSeconds: JOB_SUPERVISE_INTERVAL_SECONDS,
      // On queues that ask for it (`wakeOnCommit`), a job's insert sends a NOTIFY that
      // commits with it and wakes idle workers at once (PostgreSQL: a listening connection;
      // PGlite: in the process). Polling stays, for retries that come due and notifications
      // missed while reconnecting.
      useListenNotify: true,
    };
    this.boss =
      database.kind === 'pglite'
        ? new PgBoss({ db: fromPglite(database.pglite), backend: 'pglite', schema: 'pgboss', ...supervision })
        : new PgBoss({
            connectionString: database.connectionString,
            schema: 'pgboss',
            max: 4,
            ...supervision,
          });
    // While the database is down every poll fails; one line per outage-minute is enough.
    let quietUntil = 0;
    this.boss.on('error', (error) => {
      if (!databaseUnavailable(error)) {
        options.logger.error({ err: error }, 'job queue error');
        return;
      }
      if (Date.now() < quietUntil) return;
      quietUntil = Date.now() + 60_000;
      options.logger.warn({ err: error }, 'job queue: database unavailable, workers keep retrying');
    });
    this.#subscribers = options.subscribers;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#pollingIntervalSeconds = options.pollingIntervalSeconds ?? 0.5;
    for (const subscriber of options.subscribers) {
      for (const type of subscriber.on) {
        const list = this.#byEvent.get(type) ?? [];
        list.push(subscriber);
        this.#byEvent.set(type, list);
      }
    }
  }

  get queues(): string[] {
    return this.#subscribers.map((subscriber) => subscriber.queue);
  }

  /**
   * Installs pg-boss's schema and creates every queue. Queues are created here, before
   * serving, because creating one inside a transaction can deadlock on PGlite; for the same
   * reason each queue is then looked up once, so pg-boss knows it before the first `emit`
   * (it would otherwise look it up on its own session, which on PGlite is the one the
   * emitting transaction holds, whether or not workers run in this process).
   */
  async start(): Promise<void> {
    await this.boss.start();
    for (const subscriber of this.#subscribers) {
      const options = {
        retryLimit: subscriber.retryLimit ?? 10,
        retryDelay: subscriber.retryDelay ?? 2,
        retryBackoff: true,
        retryDelayMax: subscriber.retryDelayMax ?? 600,
        expireInSeconds: subscriber.expireInSeconds ?? DEFAULT_JOB_EXPIRY_SECONDS,
        heartbeatSeconds: JOB_HEARTBEAT_SECONDS,
        // Failed jobs stay visible for two weeks.
        deleteAfterSeconds: 14 * 24 * 3600,
        notify: subscriber.wakeOnCommit === true,
      };
      await this.boss.createQueue(subscriber.queue, options);
      // createQueue leaves an existing queue as it was; its stored options follow the code.
      await this.boss.updateQueue(subscriber.queue, options);
      // Any read by queue name fills pg-boss's queue cache; no job has this ID.
      await this.boss.getJobById(subscriber.queue, NO_JOB_ID);
    }
  }

  /**
   * Starts workers for every queue (the `start` and `worker` commands). On PostgreSQL the
   * handlers get a connection pool of their own (`WORKER_POOL_SIZE`), so a burst of HTTP
   * requests cannot take every connection from them, nor they from the requests.
   */
  async work(app: AppContext): Promise<void> {
    this.#working = true;
    const database = app.database;
    if (database.kind === 'postgres' && !this.#workerPool) {
      this.#workerPool = openPool(database.connectionString, WORKER_POOL_SIZE, (error) =>
        this.#logger.warn({ err: error }, 'database connection lost'),
      );
    }
    const context: AppContext = this.#workerPool ? { ...app, db: this.#workerPool.db } : app;
    for (const subscriber of this.#subscribers) {
      const queue = subscriber.queue;
      const handleBatch = subscriber.handleBatch?.bind(subscriber);
      if (handleBatch) {
        const batchSize = subscriber.batchSize ?? 100;
        let lastBatchEnded = 0;
        await this.boss.work<EventJob>(
          queue,
          {
            batchSize,
            localConcurrency: database.kind === 'postgres' ? (subscriber.batchConcurrency ?? 1) : 1,
            pollingIntervalSeconds: this.#pollingIntervalSeconds,
            notifyPollingIntervalSeconds: this.#pollingIntervalSeconds,
            // A full batch means more are waiting: fetch the next at once, not after a poll.
            burstWhenBatchFull: true,
            includeMetadata: true,
          },
          async (jobs) => {
            if (jobs.length === 0) return;
            const began = Date.now();
            const streaming =
              subscriber.wakeOnCommit === true && began - lastBatchEnded < 2 * WAKE_COALESCE_MS;
            for (const job of jobs) this.#noteWait(queue, job);
            const end = this.#metrics.jobDuration.startTimer({ queue });
            const controller = new AbortController();
            try {
              const retried = new Set(
                jobs.filter((job) => job.retryCount > 0).map((job) => job.data.eventId),
              );
              await handleBatch(
                jobs.map((job) => job.data),
                { app: context, signal: controller.signal, retried },
              );
              this.#metrics.jobsTotal.inc({ queue, outcome: 'completed' }, jobs.length);
            } catch (error) {
              this.#metrics.jobsTotal.inc({ queue, outcome: 'failed' }, jobs.length);
              this.#logger.warn({ err: error, queue, jobs: jobs.length }, 'job batch failed');
              throw error;
            } finally {
              end();
            }
            // Returning ends the batch and lets pg-boss fetch the next (at once, when woken
            // meanwhile); waiting here first lets a stream of single entries gather.
            if (streaming && jobs.length < batchSize) await sleep(WAKE_COALESCE_MS);
            lastBatchEnded = Date.now();
          },
        );
        continue;
      }
      await this.boss.work<EventJob>(
        queue,
        {
          batchSize: 1,
          localConcurrency: subscriber.concurrency ?? 4,
          pollingIntervalSeconds: this.#pollingIntervalSeconds,
          notifyPollingIntervalSeconds: this.#pollingIntervalSeconds,
          includeMetadata: true,
        },
        async ([job]) => {
          if (!job) return;
          this.#noteWait(queue, job);
          const end = this.#metrics.jobDuration.startTimer({ queue });
          try {
            await subscriber.handle(job.data, {
              app: context,
              jobId: job.id,
              retryCount: job.retryCount,
              signal: job.signal,
            });
            this.#metrics.jobsTotal.inc({ queue, outcome: 'completed' });
          } catch (error) {
            this.#metrics.jobsTotal.inc({ queue, outcome: 'failed' });
            this.#logger.warn({ err: error, queue, jobId: job.id, retryCount: job.retryCount }, 'job failed');
            throw error;
          } finally {
            end();
          }
        },
      );
    }
  }

  /** How long a job waited for a worker: from when it could run (enqueued, or its retry due) to its start. */
  #noteWait(queue: string, job: object): void {
    // Workers fetch with `includeMetadata`, which the handler's job type does not show.
    const { startAfter, startedOn } = job as { startAfter?: Date; startedOn?: Date | null };
    if (!(startAfter instanceof Date)) return;
    const started = startedOn instanceof Date ? startedOn.getTime() : Date.now();
    this.#metrics.jobQueueWait.observe({ queue }, Math.max(0, (started - startAfter.getTime()) / 1000));
  }

  /** Records the event and enqueues its jobs inside `tx`. Returns the event ID. */
  async emit<E extends EventType>(tx: Db, input: EmitInput<E>): Promise<string> {
    const eventId = newId('event');
    await tx.insert(events).values({
      id: eventId,
      workspaceId: input.workspaceId,
      type: input.type,
      subjectId: input.subjectId,
      payload: { ...input.payload },
    });
    const job: EventJobOf<E> = {
      eventId,
      workspaceId: input.workspaceId,
      type: input.type,
      subjectId: input.subjectId,
      payload: input.payload,
    };
    const subscribers = await this.#interested(tx, job);
    if (subscribers.length === 0) return eventId;
    // Both drizzle drivers answer `execute` with `{ rows }`, which is what the adapter reads.
    const db = fromDrizzle(tx as unknown as DrizzleTransactionLike, sql);
    for (const subscriber of subscribers) {
      await this.boss.send(
        subscriber.queue,
        { ...job },
        { db, singletonKey: `${subscriber.queue}:${eventId}` },
      );
      this.#metrics.jobsEnqueued.inc({ queue: subscriber.queue });
    }
    return eventId;
  }

  /** The subscribers of the event whose `enqueueWhen` holds, asked in one query. */
  async #interested<E extends EventType>(tx: Db, job: EventJobOf<E>): Promise<EventSubscriber[]> {
    const subscribers = this.#byEvent.get(job.type) ?? [];
    const gates = subscribers.map((subscriber) => subscriber.enqueueWhen?.(job as EventJob));
    const asked = gates.flatMap((gate, i) => (gate ? [sql`(${gate}) as ${sql.identifier(`g${i}`)}`] : []));
    if (asked.length === 0) return subscribers;
    const [answer] = await queryRows<Record<string, boolean>>(tx, sql`select ${sql.join(asked, sql`, `)}`);
    return subscribers.filter((_, i) => gates[i] === undefined || answer?.[`g${i}`] === true);
  }

  /**
   * Records many events and enqueues their jobs inside `tx`, set-based: one insert for the
   * events and one per subscribed queue for the jobs, whatever their number. Returns the
   * event IDs in the order given.
   */
  async emitMany(tx: Db, inputs: ReadonlyArray<EmitInput<EventType>>): Promise<string[]> {
    if (inputs.length === 0) return [];
    const rows = inputs.map((input) => ({
      id: newId('event'),
      workspaceId: input.workspaceId,
      type: input.type,
      subjectId: input.subjectId,
      payload: { ...input.payload },
    }));
    await tx.insert(events).values(rows);
    const byQueue = new Map<string, Array<{ data: EventJob; singletonKey: string }>>();
    // Gates read only the workspace, the type and the program: asked once per distinct trio.
    const asked = new Map<string, EventSubscriber[]>();
    for (const row of rows) {
      const data = {
        eventId: row.id,
        workspaceId: row.workspaceId,
        type: row.type,
        subjectId: row.subjectId,
        payload: row.payload,
      } as EventJob;
      const programId = (row.payload as { programId?: unknown }).programId;
      const key = JSON.stringify([row.workspaceId, row.type, programId ?? null]);
      let subscribers = asked.get(key);
      if (!subscribers) {
        subscribers = await this.#interested(tx, data as EventJobOf<EventType>);
        asked.set(key, subscribers);
      }
      for (const subscriber of subscribers) {
        const list = byQueue.get(subscriber.queue) ?? [];
        list.push({ data, singletonKey: `${subscriber.queue}:${row.id}` });
        byQueue.set(subscriber.queue, list);
      }
    }
    if (byQueue.size === 0) return rows.map((row) => row.id);
    const db = fromDrizzle(tx as unknown as DrizzleTransactionLike, sql);
    for (const [queue, jobs] of byQueue) {
      await this.boss.insert(queue, jobs, { db });
      this.#metrics.jobsEnqueued.inc({ queue }, jobs.length);
    }
    return rows.map((row) => row.id);
  }

  /** Stops taking jobs and waits up to `timeoutMs` for running ones. */
  async stop(timeoutMs: number): Promise<void> {
    await this.boss.stop({ graceful: this.#working, timeout: Math.max(timeoutMs, 1), close: true });
    await this.#workerPool?.close();
    this.#workerPool = undefined;
  }
}
