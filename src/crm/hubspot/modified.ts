import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/models/Filter.js';
import type { PublicObjectSearchRequest } from '@hubspot/api-client/lib/codegen/crm/objects/models/PublicObjectSearchRequest.js';
import type { SimplePublicObject } from '@hubspot/api-client/lib/codegen/crm/objects/models/SimplePublicObject.js';
import type { CrmConnector, CrmRecord, CrmSession } from '../types.ts';
import { type CallOptions, sessionApis } from './client.ts';
import { hubspotCall } from './errors.ts';
import { LIMITS } from './facts.ts';

/**
 * Sales receiver catch-up: records changed since a point in time, through the search API
 * filtered and sorted on the last-modified property. Contacts keep it in `lastmodifieddate`,
 * companies and deals (and custom objects) in `hs_lastmodifieddate`. A page that ends on a
 * millisecond shared by more records is completed with an `EQ` search on that millisecond, so
 * the next call can start strictly after it.
 */

const LAST_MODIFIED_PROPERTY: Record<string, string> = {
  contacts: 'lastmodifieddate',
  contact: 'lastmodifieddate',
  '0-1': 'lastmodifieddate',
};

/** Search refuses to page past this many results of one query. */
const MAX_SEARCH_RESULTS = 10_000;

export function lastModifiedProperty(object: string): string {
  return LAST_MODIFIED_PROPERTY[object.toLowerCase()] ?? 'hs_lastmodifieddate';
}

/** HubSpot answers datetimes as ISO-8601 text or as epoch milliseconds. */
function parseInstant(value: string | null | undefined): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const date = /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function validDate(value: unknown): Date | undefined {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined;
}

function toRecord(object: string, result: SimplePublicObject, fields: readonly string[]): CrmRecord {
  const property = lastModifiedProperty(object);
  return {
    id: result.id,
    object,
    createdAt: parseInstant(result.properties.createdate) ?? validDate(result.createdAt),
    modifiedAt: parseInstant(result.properties[property]) ?? validDate(result.updatedAt),
    values: Object.fromEntries(fields.map((name) => [name, result.properties[name] ?? null])),
  };
}

/**
 * The search body for one page. The SDK types `sorts` as strings, but the API documents
 * objects, and the SDK passes them through as they are.
 */
export function modifiedSearchRequest(
  object: string,
  fields: readonly string[],
  filter: { operator: 'GT' | 'EQ'; at: Date },
  pageSize: number,
  after: string | undefined,
): PublicObjectSearchRequest {
  const property = lastModifiedProperty(object);
  const sorts = [{ propertyName: property, direction: 'ASCENDING' }] as unknown as string[];
  return {
    filterGroups: [
      {
        filters: [
          {
            propertyName: property,
            operator: filter.operator === 'GT' ? FilterOperatorEnum.Gt : FilterOperatorEnum.Eq,
            value: String(filter.at.getTime()),
          },
        ],
      },
    ],
    sorts,
    properties: [...new Set([...fields, property, 'createdate'])],
    limit: pageSize,
    ...(after === undefined ? {} : { after }),
  };
}

/** Reads pages until `limit` records or the end; says whether more pages remain. */
async function searchPages(
  session: CrmSession,
  object: string,
  fields: readonly string[],
  filter: { operator: 'GT' | 'EQ'; at: Date },
  limit: number,
  call: CallOptions,
): Promise<{ results: SimplePublicObject[]; more: boolean }> {
  const apis = sessionApis(session, call);
  const results: SimplePublicObject[] = [];
  let after: string | undefined;
  do {
    const pageSize = Math.min(LIMITS.searchPageSize, limit - results.length);
    const page = await hubspotCall(() =>
      apis.objects.searchApi.doSearch(object, modifiedSearchRequest(object, fields, filter, pageSize, after)),
    );
    results.push(...page.results);
    after = page.paging?.next?.after;
  } while (after !== undefined && results.length < limit);
  return { results, more: after !== undefined };
}

export async function modifiedSince(
  session: CrmSession,
  object: string,
  since: Date,
  fields: string[],
  limit: number,
  call: CallOptions,
): Promise<{ records: CrmRecord[]; nextSince: Date | undefined }> {
  const wanted = [...new Set(fields)];
  const bounded = Math.max(1, Math.min(Math.floor(limit), MAX_SEARCH_RESULTS));
  const page = await searchPages(session, object, wanted, { operator: 'GT', at: since }, bounded, call);
  const records = page.results.map((result) => toRecord(object, result, wanted));
  const lastAt = records.at(-1)?.modifiedAt;
  if (!page.more || lastAt === undefined) return { records, nextSince: undefined };
  // More follow: make sure every record of the last millisecond is in this call.
  const tail = await searchPages(
    session,
    object,
    wanted,
    { operator: 'EQ', at: lastAt },
    MAX_SEARCH_RESULTS,
    call,
  );
  const before = records.filter((record) => (record.modifiedAt?.getTime() ?? 0) < lastAt.getTime());
  const seen = new Set(before.map((record) => record.id));
  const rest = tail.results
    .map((result) => toRecord(object, result, wanted))
    .filter((record) => !seen.has(record.id));
  return { records: [...before, ...rest], nextSince: lastAt };
}

/** `modifiedSince` bound to the connector's retry setting, as the connector object holds it. */
export function modifiedSinceWith(call: CallOptions): NonNullable<CrmConnector['modifiedSince']> {
  return (session, object, since, fields, limit) =>
    modifiedSince(session, object, since, fields, limit, call);
}
