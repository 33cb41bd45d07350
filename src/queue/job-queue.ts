import { sql } from 'drizzle-orm';
import { type DrizzleTransactionLike, fromDrizzle, fromPglite, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { Metrics } from '../core/metrics.ts';
import { type Database, type Db, queryRows } from '../db/client.ts';
import { databaseUnavailable } from '../db/errors.ts';
import type { DomainEvents, EventJob, EventJobOf, EventType } from './events.ts';
import type { EventSubscriber } from './subscriber.ts';
import { events } from './tables.ts';

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

  constructor(options: JobQueueOptions) {
    const { database } = options;
    const supervision = {
      superviseIntervalSeconds: JOB_SUPERVISE_INTERVAL_SECONDS,
      monitorIntervalSeconds: JOB_SUPERVISE_INTERVAL_SECONDS,
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

  /** Installs pg-boss's schema and creates every queue. Queues are created here, before
   * serving, because creating one inside a transaction can deadlock on PGlite. */
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
      };
      await this.boss.createQueue(subscriber.queue, options);
      // createQueue leaves an existing queue as it was; its stored options follow the code.
      await this.boss.updateQueue(subscriber.queue, options);
    }
  }

  /** Starts workers for every queue (the `start` and `worker` commands). */
  async work(app: AppContext): Promise<void> {
    this.#working = true;
    for (const subscriber of this.#subscribers) {
      const handleBatch = subscriber.handleBatch?.bind(subscriber);
      if (handleBatch) {
        await this.boss.work<EventJob>(
          subscriber.queue,
          {
            batchSize: subscriber.batchSize ?? 100,
            pollingIntervalSeconds: this.#pollingIntervalSeconds,
          },
          async (jobs) => {
            if (jobs.length === 0) return;
            const end = this.#metrics.jobDuration.startTimer({ queue: subscriber.queue });
            const controller = new AbortController();
            try {
              const retried = new Set(
                jobs.filter((job) => job.retryCount > 0).map((job) => job.data.eventId),
              );
              await handleBatch(
                jobs.map((job) => job.data),
                { app, signal: controller.signal, retried },
              );
              this.#metrics.jobsTotal.inc({ queue: subscriber.queue, outcome: 'completed' }, jobs.length);
            } catch (error) {
              this.#metrics.jobsTotal.inc({ queue: subscriber.queue, outcome: 'failed' }, jobs.length);
              this.#logger.warn(
                { err: error, queue: subscriber.queue, jobs: jobs.length },
                'job batch failed',
              );
              throw error;
            } finally {
              end();
            }
          },
        );
        continue;
      }
      await this.boss.work<EventJob>(
        subscriber.queue,
        {
          batchSize: 1,
          localConcurrency: subscriber.concurrency ?? 4,
          pollingIntervalSeconds: this.#pollingIntervalSeconds,
        },
        async ([job]) => {
          if (!job) return;
          const end = this.#metrics.jobDuration.startTimer({ queue: subscriber.queue });
          try {
            await subscriber.handle(job.data, {
              app,
              jobId: job.id,
              retryCount: job.retryCount,
              signal: job.signal,
            });
            this.#metrics.jobsTotal.inc({ queue: subscriber.queue, outcome: 'completed' });
          } catch (error) {
            this.#metrics.jobsTotal.inc({ queue: subscriber.queue, outcome: 'failed' });
            this.#logger.warn(
              { err: error, queue: subscriber.queue, jobId: job.id, retryCount: job.retryCount },
              'job failed',
            );
            throw error;
          } finally {
            end();
          }
        },
      );
    }
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

  /** Stops taking jobs and waits up to `timeoutMs` for running ones. */
  async stop(timeoutMs: number): Promise<void> {
    await this.boss.stop({ graceful: this.#working, timeout: Math.max(timeoutMs, 1), close: true });
  }
}
