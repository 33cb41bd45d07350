import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { pushRecords, pushSettings } from './tables.ts';

export interface CrmRecordLink {
  connectionId: string;
  crmObject: string;
  crmId: string;
  /** The HubSpot deal created with the contact, when the push settings ask for one. */
  dealId: string | null;
}

/** The CRM records a referral or member became, one per push setting it went through. */
export async function crmRecordsOf(db: Db, workspaceId: string, subjectId: string): Promise<CrmRecordLink[]> {
  return db
    .select({
      connectionId: pushSettings.connectionId,
      crmObject: pushRecords.crmObject,
      crmId: pushRecords.crmId,
      dealId: pushRecords.dealId,
    })
    .from(pushRecords)
    .innerJoin(pushSettings, eq(pushSettings.id, pushRecords.settingsId))
    .where(and(eq(pushRecords.workspaceId, workspaceId), eq(pushRecords.subjectId, subjectId)));
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
