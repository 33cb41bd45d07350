import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { pushRecords, pushSettings } from '../db/schema.ts';

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
