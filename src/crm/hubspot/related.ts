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

/** Records read by ID per batch call (HubSpot's limit for batch reads). */
const READ_BATCH = 100;
/** Records whose associations one batch call reads. */
const ASSOCIATIONS_BATCH = 1000;

type ReadResult = Pick<SimplePublicObjectWithAssociations, 'id' | 'properties' | 'createdAt'>;

function toRecord(object: string, result: ReadResult, fields: string[]): CrmRecord {
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
 * `getRecord` for many records of one object: one batch read per 100 IDs. IDs HubSpot does
 * not know are left out of the answer (the batch answers them as errors of their own).
 */
export async function getRecords(
  session: CrmSession,
  object: string,
  ids: string[],
  fields: string[],
  call: CallOptions,
): Promise<CrmRecord[]> {
  const apis = sessionApis(session, call);
  const unique = [...new Set(ids)];
  const records: CrmRecord[] = [];
  for (let start = 0; start < unique.length; start += READ_BATCH) {
    const inputs = unique.slice(start, start + READ_BATCH).map((id) => ({ id }));
    const answer = await hubspotCall(() =>
      apis.objects.batchApi.read(object, { inputs, properties: fields, propertiesWithHistory: [] }, false),
    );
    for (const result of answer.results) records.push(toRecord(object, result, fields));
  }
  return records;
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

/**
 * `related` for many records of one object: one associations batch read per 1,000 records,
 * then one batch read per 100 linked records, whatever the number of records. At most
 * `limit` linked records per record; answers by the IDs given.
 */
export async function relatedMany(
  session: CrmSession,
  object: string,
  ids: string[],
  toObject: string,
  fields: string[],
  limit: number,
  call: CallOptions,
): Promise<Map<string, CrmRecord[]>> {
  const api = pacedFor(session, call, sessionClient(session, call).crm.associations.v4.batchApi);
  const unique = [...new Set(ids)];
  const links = new Map<string, string[]>();
  for (let start = 0; start < unique.length; start += ASSOCIATIONS_BATCH) {
    const inputs = unique.slice(start, start + ASSOCIATIONS_BATCH).map((id) => ({ id }));
    // Records with no association come back as errors of their own; they link to nothing.
    const answer = await hubspotCall(() => api.getPage(object, toObject, { inputs }));
    for (const result of answer.results) {
      const to = [...new Set(result.to.map((target) => String(target.toObjectId)))].slice(0, limit);
      links.set(String(result._from.id), to);
    }
  }
  const records = await getRecords(session, toObject, [...new Set([...links.values()].flat())], fields, call);
  const byId = new Map(records.map((record) => [record.id, record]));
  const found = new Map<string, CrmRecord[]>();
  for (const id of unique) {
    found.set(
      id,
      (links.get(id) ?? []).flatMap((to) => byId.get(to) ?? []),
    );
  }
  return found;
}
