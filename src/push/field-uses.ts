import { and, eq } from 'drizzle-orm';
import type { FieldUse } from '../connections/field-check.ts';
import type { Db } from '../db/client.ts';
import { pushSettings } from './tables.ts';

/**
 * Every CRM field the enabled push settings of a connection write: the mappings and refsync's
 * own fields (referral ID, source, links), for the connection's scheduled field check.
 */
export async function pushFieldUses(db: Db, connectionId: string): Promise<FieldUse[]> {
  const rows = await db
    .select()
    .from(pushSettings)
    .where(and(eq(pushSettings.connectionId, connectionId), eq(pushSettings.enabled, true)));
  return rows.flatMap((row) => {
    const setting = { kind: 'push_settings' as const, id: row.id, programId: row.programId };
    return [
      ...row.mappings.map((mapping, index) => ({
        ...setting,
        object: row.crmObject,
        field: mapping.crmField,
        path: `mappings.${index}.crmField`,
      })),
      ...Object.entries(row.systemFields)
        .filter(([, field]) => field !== '')
        .map(([key, field]) => ({ ...setting, object: row.crmObject, field, path: `systemFields.${key}` })),
    ];
  });
}
