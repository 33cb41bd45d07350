import { and, eq } from 'drizzle-orm';
import type { FieldUse } from '../../connections/field-check.ts';
import type { Db } from '../../db/client.ts';
import { receiverSettings } from '../tables.ts';

/**
 * Every CRM field the enabled receiver settings of a connection read: status triggers, field
 * updates, target and member match, for the connection's scheduled field check.
 */
export async function receiverFieldUses(db: Db, connectionId: string): Promise<FieldUse[]> {
  const rows = await db
    .select()
    .from(receiverSettings)
    .where(and(eq(receiverSettings.connectionId, connectionId), eq(receiverSettings.enabled, true)));
  return rows.flatMap((row) => {
    const setting = { kind: 'receiver_settings' as const, id: row.id, programId: row.programId };
    const rules = [
      ['statusTriggers', row.statusTriggers],
      ['fieldUpdates', row.fieldUpdates],
      ['targetMatch', row.targetMatch],
      ['memberMatch', row.memberMatch],
    ] as const;
    return rules.flatMap(([name, list]) =>
      list.map((rule: { object: string; field: string }, index: number) => ({
        ...setting,
        object: rule.object,
        field: rule.field,
        path: `${name}.${index}.field`,
      })),
    );
  });
}
