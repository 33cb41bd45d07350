import type { SimplePublicObjectWithAssociations } from '@hubspot/api-client/lib/codegen/crm/objects/models/SimplePublicObjectWithAssociations.js';
import { CrmError } from '../errors.ts';
import type { CrmRecord, CrmSession } from '../types.ts';
import { type CallOptions, pacedFor, sessionApis, sessionClient } from './client.ts';
import { hubspotCall } from './errors.ts';

/**
 * Reading records and their associations for the sales receiver: one record through the
 * objects API, the records linked to it through associations v4 (a HubSpot deal's contacts,
 * a contact's company, ...).
 */

function toRecord(object: string, result: SimplePublicObjectWithAssociations, fields: string[]): CrmRecord {
  const when = result.createdAt;
  return {
    id: result.id,
    object,
    createdAt: when instanceof Date && !Number.isNaN(when.getTime()) ? when : undefined,
    values: Object.fromEntries(fields.map((name) => [name, result.properties[name] ?? null])),
  };
}

export async function getRecord(
  session: CrmSession,
  object: string,
  id: string,
  fields: string[],
  call: CallOptions,
): Promise<CrmRecord | undefined> {
  const apis = sessionApis(session, call);
  try {
    const result = await hubspotCall(() => apis.objects.basicApi.getById(object, id, fields));
    return toRecord(object, result, fields);
  } catch (error) {
    if (error instanceof CrmError && error.kind === 'not_found') return undefined;
    throw error;
  }
}

/**
 * The associations client for one call. Like `sessionApis`, the group is touched right after
 * the client is built, so no other client can swap its retry policy in between.
 */
function associationsApi(session: CrmSession, call: CallOptions) {
  return pacedFor(session, call, sessionClient(session, call).crm.associations.v4.basicApi);
}

/** Records of `toObject` associated with record `id` of `object`, at most `limit`. */
export async function related(
  session: CrmSession,
  object: string,
  id: string,
  toObject: string,
  fields: string[],
  limit: number,
  call: CallOptions,
): Promise<CrmRecord[]> {
  const api = associationsApi(session, call);
  const page = await hubspotCall(() => api.getPage(object, id, toObject, undefined, Math.min(limit, 500)));
  const ids = [...new Set(page.results.map((result) => String(result.toObjectId)))].slice(0, limit);
  const records: CrmRecord[] = [];
  for (const relatedId of ids) {
    const record = await getRecord(session, toObject, relatedId, fields, call);
    if (record) records.push(record);
  }
  return records;
}
