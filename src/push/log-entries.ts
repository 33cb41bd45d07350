import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { WriteOutcome } from '../crm/types.ts';
import { rememberPushedMany } from './records.ts';
import type { PushSettingsRow } from './settings-service.ts';
import { pushLog, type pushRecords } from './tables.ts';

/** The push log entries one push writes, built in one place each. */

type LogAction = (typeof pushLog.$inferInsert)['action'];

export interface LogInput {
  subjectId: string;
  action: LogAction;
  crmObject?: string | undefined;
  crmId?: string | undefined;
  crmUrl?: string | undefined;
  crmCode?: string | undefined;
  message?: string | undefined;
  retryable?: boolean;
  /**
   * The record the subject became or was linked to: remembered in push_records in the same
   * transaction as the entry, so it is never created twice.
   */
  pushed?: { crmObject: string; crmId: string; dealId?: string | undefined } | undefined;
}

export type LogWriter = (entries: LogInput[]) => Promise<void>;

/**
 * Writes a push's entries, and the records they remember, with one multi-row insert each in
 * one transaction; a failure no retry can fix also raises `push.failed`.
 */
export function logWriter(ctx: AppContext, settings: PushSettingsRow): LogWriter {
  return async (entries) => {
    if (entries.length === 0) return;
    await ctx.db.transaction(async (tx) => {
      await rememberPushedMany(
        tx,
        settings,
        entries.flatMap((entry) => (entry.pushed ? [{ subjectId: entry.subjectId, ...entry.pushed }] : [])),
      );
      const rows = entries.map((entry) => ({
        id: newId('pushLog'),
        workspaceId: settings.workspaceId,
        settingsId: settings.id,
        connectionId: settings.connectionId,
        subject: settings.subject,
        subjectId: entry.subjectId,
        action: entry.action,
        crmObject: entry.crmObject ?? null,
        crmId: entry.crmId ?? null,
        crmUrl: entry.crmUrl ?? null,
        crmCode: entry.crmCode ?? null,
        message: entry.message ?? null,
        retryable: entry.retryable ?? false,
      }));
      await tx.insert(pushLog).values(rows);
      // Only failures no retry can fix are news: retryable ones are tried again by the job.
      for (const row of rows.filter((r) => r.action === 'failed' && !r.retryable)) {
        await ctx.queue.emit(tx, {
          workspaceId: row.workspaceId,
          type: 'push.failed',
          subjectId: row.subjectId,
          payload: {
            logId: row.id,
            settingsId: row.settingsId,
            subject: row.subject,
            subjectId: row.subjectId,
            crmCode: row.crmCode,
            message: row.message ?? '',
          },
        });
      }
    });
  };
}

/** A CRM record an entry names: what it is, and where a person opens it. */
export interface NamedRecord {
  object: string;
  id: string;
  url: string | undefined;
}

/** Nothing was written: the subject is linked to a record the CRM already has. */
export function skippedEntry(subjectId: string, record: NamedRecord, message: string): LogInput {
  return {
    subjectId,
    action: 'skipped',
    crmObject: record.object,
    crmId: record.id,
    crmUrl: record.url,
    message,
  };
}

/** The CRM refused one write: its code and message verbatim. */
export function failureEntry(
  subjectId: string,
  crmObject: string,
  outcome: WriteOutcome & { ok: false },
  record?: NamedRecord,
): LogInput {
  return {
    subjectId,
    action: 'failed',
    crmObject,
    crmId: record?.id,
    crmUrl: record?.url,
    crmCode: outcome.error.crmCode,
    message: outcome.error.message,
    retryable: outcome.error.retryable,
  };
}

/**
 * Entries for subjects pushed before. The link is the one logged when the record was
 * created or linked, so no CRM call is needed to say what is already there.
 */
export async function alreadyPushed(
  ctx: AppContext,
  settings: PushSettingsRow,
  records: Array<typeof pushRecords.$inferSelect>,
): Promise<LogInput[]> {
  if (records.length === 0) return [];
  const logged = await ctx.db
    .select({ subjectId: pushLog.subjectId, crmId: pushLog.crmId, crmUrl: pushLog.crmUrl })
    .from(pushLog)
    .where(
      and(
        eq(pushLog.settingsId, settings.id),
        inArray(
          pushLog.subjectId,
          records.map((record) => record.subjectId),
        ),
        isNotNull(pushLog.crmUrl),
      ),
    )
    .orderBy(asc(pushLog.id));
  const urls = new Map(logged.map((row) => [`${row.subjectId}:${row.crmId}`, row.crmUrl ?? undefined]));
  return records.map((record) =>
    skippedEntry(
      record.subjectId,
      {
        object: record.crmObject,
        id: record.crmId,
        url: urls.get(`${record.subjectId}:${record.crmId}`),
      },
      `Already pushed as ${record.crmObject} ${record.crmId}; not pushed again`,
    ),
  );
}
