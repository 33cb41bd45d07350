import type { AppContext } from '../context.ts';
import { CrmError } from '../crm/errors.ts';
import { programsByIds } from '../programs/service.ts';
import { pushFieldUses } from '../push/field-uses.ts';
import { receiverFieldUses } from '../receiver/settings/field-uses.ts';
import { fieldMissingWords, objectMissingWords } from './alert-words.ts';
import { clearAlerts, raiseAlert } from './alerts.ts';
import { findConnection, withCrm } from './service.ts';
import type { AlertSettingRef } from './tables.ts';

/**
 * The field check of a connection's health: every CRM object and field its enabled push
 * settings and receiver settings name must still exist in the CRM. Settings are checked when
 * saved; a CRM admin can delete a field any time after, so this runs on a schedule (and on
 * demand). Each missing field is one `crm_field_missing` alert naming the settings that use
 * it; a field that is back clears its alert.
 */

/** One place where a setting names a CRM field. */
export interface FieldUse {
  kind: AlertSettingRef['kind'];
  /** The setting's ID. */
  id: string;
  programId: string;
  object: string;
  field: string;
  /** The setting's field, as the API names it (`mappings.2.crmField`). */
  path: string;
}

export type FieldCheckOutcome =
  | { status: 'checked'; objects: number; fields: number; missing: string[] }
  | { status: 'skipped'; reason: string };

interface Missing {
  object: string;
  field: string;
  settings: AlertSettingRef[];
}

const fieldKey = (object: string, field: string) =>
  `crm_field_missing:${object.toLowerCase()}.${field.toLowerCase()}`;
const objectKey = (object: string) => `crm_object_missing:${object.toLowerCase()}`;

/** Reads each named object's fields from the CRM; undefined for an object it does not show. */
async function describeAll(
  ctx: AppContext,
  connectionId: string,
  objects: string[],
): Promise<Map<string, Set<string> | undefined>> {
  const described = new Map<string, Set<string> | undefined>();
  if (objects.length === 0) return described;
  await withCrm(ctx, connectionId, async (session, connector) => {
    for (const object of objects) {
      try {
        const fields = await connector.describe(session, object);
        described.set(object, new Set(fields.map((field) => field.name.toLowerCase())));
      } catch (error) {
        if (!(error instanceof CrmError) || (error.kind !== 'not_found' && error.kind !== 'validation'))
          throw error;
        described.set(object, undefined);
      }
    }
  });
  return described;
}

/**
 * Checks one connection's fields, raising and clearing its field alerts. CRM failures (an
 * outage, refused tokens) are thrown, and leave the alerts as they were.
 */
export async function checkConnectionFields(
  ctx: AppContext,
  connectionId: string,
): Promise<FieldCheckOutcome> {
  const connection = await findConnection(ctx.db, connectionId);
  if (!connection) return { status: 'skipped', reason: 'The connection no longer exists.' };
  if (connection.status !== 'connected') {
    return { status: 'skipped', reason: `The connection is ${connection.status}.` };
  }
  const uses = [
    ...(await pushFieldUses(ctx.db, connectionId)),
    ...(await receiverFieldUses(ctx.db, connectionId)),
  ];
  const objects = [...new Set(uses.map((use) => use.object))];
  const described = await describeAll(ctx, connectionId, objects);
  const programs = await programsByIds(
    ctx.db,
    connection.workspaceId,
    uses.map((use) => use.programId),
  );
  const missingFields = new Map<string, Missing>();
  const missingObjects = new Map<string, Missing>();
  for (const use of uses) {
    const fields = described.get(use.object);
    if (fields?.has(use.field.toLowerCase())) continue;
    const ref: AlertSettingRef = {
      kind: use.kind,
      id: use.id,
      path: use.path,
      programName: programs.get(use.programId)?.name ?? use.programId,
    };
    const [list, key] =
      fields === undefined
        ? [missingObjects, objectKey(use.object)]
        : [missingFields, fieldKey(use.object, use.field)];
    const missing = list.get(key) ?? { object: use.object, field: use.field, settings: [] };
    missing.settings.push(ref);
    list.set(key, missing);
  }
  const key = { id: connection.id, workspaceId: connection.workspaceId };
  for (const [alertKey, missing] of missingFields) {
    await raiseAlert(ctx, key, {
      code: 'crm_field_missing',
      key: alertKey,
      message: fieldMissingWords(connection.provider, missing.object, missing.field, missing.settings),
      details: { object: missing.object, field: missing.field, settings: missing.settings },
    });
  }
  for (const [alertKey, missing] of missingObjects) {
    await raiseAlert(ctx, key, {
      code: 'crm_object_missing',
      key: alertKey,
      message: objectMissingWords(connection.provider, missing.object, missing.settings),
      details: { object: missing.object, settings: missing.settings },
    });
  }
  await clearAlerts(ctx, connection.id, { code: 'crm_field_missing', except: [...missingFields.keys()] });
  await clearAlerts(ctx, connection.id, { code: 'crm_object_missing', except: [...missingObjects.keys()] });
  return {
    status: 'checked',
    objects: objects.length,
    fields: uses.length,
    missing: [
      ...[...missingFields.values()].map((missing) => `${missing.object}.${missing.field}`),
      ...[...missingObjects.values()].map((missing) => missing.object),
    ],
  };
}
