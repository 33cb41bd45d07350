import { and, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { pushLog, pushRecords, pushSettings } from './tables.ts';

export interface CrmRecordLink {
  connectionId: string;
  crmObject: string;
  crmId: string;
  /** The HubSpot deal created with the contact, when the push settings ask for one. */
  dealId: string | null;
  /** Where a person opens the record in the CRM (as the push log recorded it), when known. */
  url: string | null;
}

/** The CRM records a referral or member became, one per push setting it went through. */
export async function crmRecordsOf(db: Db, workspaceId: string, subjectId: string): Promise<CrmRecordLink[]> {
  const records = await db
    .select({
      connectionId: pushSettings.connectionId,
      crmObject: pushRecords.crmObject,
      crmId: pushRecords.crmId,
      dealId: pushRecords.dealId,
    })
    .from(pushRecords)
    .innerJoin(pushSettings, eq(pushSettings.id, pushRecords.settingsId))
    .where(and(eq(pushRecords.workspaceId, workspaceId), eq(pushRecords.subjectId, subjectId)));
  if (records.length === 0) return [];
  const logged = await db
    .select({ crmId: pushLog.crmId, crmUrl: pushLog.crmUrl })
    .from(pushLog)
    .where(
      and(eq(pushLog.workspaceId, workspaceId), eq(pushLog.subjectId, subjectId), isNotNull(pushLog.crmUrl)),
    )
    .orderBy(desc(pushLog.id));
  return records.map((record) => ({
    ...record,
    url: logged.find((row) => row.crmId === record.crmId)?.crmUrl ?? null,
  }));
}

/** The referrals or members pushed as any of these CRM records (each once). */
export async function subjectsPushedAs(db: Db, workspaceId: string, crmIds: string[]): Promise<string[]> {
  if (crmIds.length === 0) return [];
  const rows = await db
    .select({ subjectId: pushRecords.subjectId })
    .from(pushRecords)
    .where(and(eq(pushRecords.workspaceId, workspaceId), inArray(pushRecords.crmId, crmIds)));
  return [...new Set(rows.map((row) => row.subjectId))];
}

export type PushRecordRow = typeof pushRecords.$inferSelect;

/** The records of `subjectIds` already pushed through one setting. */
export async function pushedThrough(
  db: Db,
  settingsId: string,
  subjectIds: string[],
): Promise<PushRecordRow[]> {
  if (subjectIds.length === 0) return [];
  return db
    .select()
    .from(pushRecords)
    .where(and(eq(pushRecords.settingsId, settingsId), inArray(pushRecords.subjectId, subjectIds)));
}

/** A subject and the CRM record it became. */
export interface PushedRecord {
  subjectId: string;
  crmObject: string;
  crmId: string;
  dealId?: string | undefined;
}

/**
 * Remembers which CRM record each subject became, so none is created twice: one multi-row
 * insert, inside the caller's transaction when given one. A subject remembered before keeps
 * its first record.
 */
export async function rememberPushedMany(
  db: Db,
  settings: { id: string; workspaceId: string },
  records: readonly PushedRecord[],
): Promise<void> {
  if (records.length === 0) return;
  await db
    .insert(pushRecords)
    .values(
      records.map((record) => ({
        settingsId: settings.id,
        subjectId: record.subjectId,
        workspaceId: settings.workspaceId,
        crmObject: record.crmObject,
        crmId: record.crmId,
        dealId: record.dealId ?? null,
      })),
    )
    .onConflictDoNothing();
}

/** Remembers one subject's record (see `rememberPushedMany`). */
export async function rememberPushed(
  db: Db,
  settings: { id: string; workspaceId: string },
  subjectId: string,
  record: { crmObject: string; crmId: string; dealId?: string | undefined },
): Promise<void> {
  await rememberPushedMany(db, settings, [{ subjectId, ...record }]);
}

/** For each of these CRM records, the referrals or members pushed as it (a batch's `subjectsPushedAs`). */
export async function subjectsByCrmId(
  db: Db,
  workspaceId: string,
  crmIds: string[],
): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  if (crmIds.length === 0) return found;
  const rows = await db
    .select({ crmId: pushRecords.crmId, subjectId: pushRecords.subjectId })
    .from(pushRecords)
    .where(and(eq(pushRecords.workspaceId, workspaceId), inArray(pushRecords.crmId, crmIds)));
  for (const row of rows) found.set(row.crmId, [...(found.get(row.crmId) ?? []), row.subjectId]);
  return found;
}
