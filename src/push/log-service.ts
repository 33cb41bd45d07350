import { and, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { notFound } from '../core/errors.ts';
import { decodeCursor, type Page, toPage } from '../core/pagination.ts';
import { type Db, queryRows } from '../db/client.ts';
import { getPushSettings } from './settings-service.ts';
import { pushLog } from './tables.ts';

export type PushLogRow = typeof pushLog.$inferSelect;

export function toPushLogView(row: PushLogRow) {
  return {
    id: row.id,
    settingsId: row.settingsId,
    connectionId: row.connectionId,
    subject: row.subject,
    subjectId: row.subjectId,
    action: row.action,
    crmObject: row.crmObject,
    crmId: row.crmId,
    crmUrl: row.crmUrl,
    crmCode: row.crmCode,
    message: row.message,
    retryable: row.retryable,
    createdAt: row.createdAt.toISOString(),
  };
}

export interface PushLogFilter {
  subjectId?: string | undefined;
  settingsId?: string | undefined;
  connectionId?: string | undefined;
  action?: PushLogRow['action'] | undefined;
  limit: number;
  cursor?: string | undefined;
}

export async function listPushLog(
  db: Db,
  workspaceId: string,
  filter: PushLogFilter,
): Promise<Page<PushLogRow>> {
  const conditions: SQL[] = [eq(pushLog.workspaceId, workspaceId)];
  if (filter.subjectId) conditions.push(eq(pushLog.subjectId, filter.subjectId));
  if (filter.settingsId) conditions.push(eq(pushLog.settingsId, filter.settingsId));
  if (filter.connectionId) conditions.push(eq(pushLog.connectionId, filter.connectionId));
  if (filter.action) conditions.push(eq(pushLog.action, filter.action));
  if (filter.cursor) conditions.push(lt(pushLog.id, decodeCursor(filter.cursor)));
  const rows = await db
    .select()
    .from(pushLog)
    .where(and(...conditions))
    .orderBy(desc(pushLog.id))
    .limit(filter.limit + 1);
  return toPage(rows, filter.limit, (row) => row);
}

/** Pushes the entry's referral or member again through the same setting. */
export async function retryEntry(ctx: AppContext, workspaceId: string, id: string): Promise<PushLogRow> {
  const [entry] = await ctx.db
    .select()
    .from(pushLog)
    .where(and(eq(pushLog.id, id), eq(pushLog.workspaceId, workspaceId)));
  if (!entry) throw notFound('Push log entry', id);
  await ctx.db.transaction(async (tx) => {
    await ctx.queue.emit(tx, {
      workspaceId,
      type: 'push.requested',
      subjectId: entry.subjectId,
      payload: { settingsId: entry.settingsId, subject: entry.subject, subjectId: entry.subjectId },
    });
  });
  return entry;
}

/**
 * Subjects whose last attempt failed or is waiting, and that never reached the CRM: what
 * "retry all failed" pushes again.
 */
export async function unfinishedSubjects(
  db: Db,
  workspaceId: string,
  scope: { settingsId?: string | undefined; connectionId?: string | undefined },
): Promise<Array<{ settingsId: string; subject: 'referral' | 'member'; subjectId: string }>> {
  return queryRows(
    db,
    sql`select settings_id as "settingsId", subject, subject_id as "subjectId"
          from (select distinct on (settings_id, subject_id) settings_id, subject, subject_id, action
                  from push_log
                 where workspace_id = ${workspaceId}
                   ${scope.settingsId ? sql`and settings_id = ${scope.settingsId}` : sql``}
                   ${scope.connectionId ? sql`and connection_id = ${scope.connectionId}` : sql``}
                 order by settings_id, subject_id, id desc) latest
         where action in ('failed', 'waiting')
           and not exists (select 1 from push_records r
                            where r.settings_id = latest.settings_id and r.subject_id = latest.subject_id)`,
  );
}

export async function retryFailed(
  ctx: AppContext,
  workspaceId: string,
  settingsId: string | undefined,
): Promise<number> {
  if (settingsId) await getPushSettings(ctx.db, workspaceId, settingsId);
  const subjects = await unfinishedSubjects(ctx.db, workspaceId, { settingsId });
  await ctx.db.transaction(async (tx) => {
    for (const subject of subjects) {
      await ctx.queue.emit(tx, {
        workspaceId,
        type: 'push.requested',
        subjectId: subject.subjectId,
        payload: subject,
      });
    }
  });
  return subjects.length;
}
