import { eq, sql } from 'drizzle-orm';
import { notFound } from '../core/errors.ts';
import { type Db, queryRows } from '../db/client.ts';
import type { JobQueue } from './job-queue.ts';
import { events } from './tables.ts';

export const jobStates = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = (typeof jobStates)[number];

export interface JobView {
  id: string;
  queue: string;
  state: JobState;
  eventType: string | null;
  subjectId: string | null;
  retryCount: number;
  retryLimit: number;
  /** The error of the last failed attempt, as the handler threw it. */
  lastError: string | null;
  createdAt: string;
  startAfter: string;
  completedAt: string | null;
}

interface JobRow {
  id: string;
  name: string;
  state: JobState;
  data: { type?: string; subjectId?: string } | null;
  retry_count: number;
  retry_limit: number;
  output: { message?: string } | null;
  created_on: Date | string;
  start_after: Date | string;
  completed_on: Date | string | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toJobView(row: JobRow): JobView {
  return {
    id: row.id,
    queue: row.name,
    state: row.state,
    eventType: row.data?.type ?? null,
    subjectId: row.data?.subjectId ?? null,
    retryCount: row.retry_count,
    retryLimit: row.retry_limit,
    lastError: row.output?.message ?? null,
    createdAt: iso(row.created_on),
    startAfter: iso(row.start_after),
    completedAt: row.completed_on === null ? null : iso(row.completed_on),
  };
}

/** Jobs of one workspace, newest first, read from pg-boss's own table. */
export async function listJobs(
  db: Db,
  workspaceId: string,
  filter: {
    state?: JobState | undefined;
    queue?: string | undefined;
    subjectId?: string | undefined;
    limit: number;
  },
): Promise<JobView[]> {
  const rows = await queryRows<JobRow>(
    db,
    sql`select id::text, name, state::text as state, data, retry_count, retry_limit, output,
               created_on, start_after, completed_on
          from pgboss.job
         where data->>'workspaceId' = ${workspaceId}
           ${filter.state ? sql`and state::text = ${filter.state}` : sql``}
           ${filter.queue ? sql`and name = ${filter.queue}` : sql``}
           ${filter.subjectId ? sql`and data->>'subjectId' = ${filter.subjectId}` : sql``}
         order by created_on desc, id desc
         limit ${filter.limit}`,
  );
  return rows.map(toJobView);
}

/** Puts a failed job back in line now. */
export async function retryJob(db: Db, queue: JobQueue, workspaceId: string, id: string): Promise<JobView> {
  const [row] = await queryRows<JobRow>(
    db,
    sql`select id::text, name from pgboss.job where id::text = ${id} and data->>'workspaceId' = ${workspaceId}`,
  );
  if (!row) throw notFound('Job', id);
  await queue.boss.retry(row.name, id);
  const [after] = await queryRows<JobRow>(
    db,
    sql`select id::text, name, state::text as state, data, retry_count, retry_limit, output,
               created_on, start_after, completed_on
          from pgboss.job where id::text = ${id}`,
  );
  if (!after) throw notFound('Job', id);
  return toJobView(after);
}

export type EventRow = typeof events.$inferSelect;

/** A written event as stored (type, subject, payload), for subscribers that forward it whole. */
export async function findEvent(db: Db, id: string): Promise<EventRow | undefined> {
  const [row] = await db.select().from(events).where(eq(events.id, id));
  return row;
}
