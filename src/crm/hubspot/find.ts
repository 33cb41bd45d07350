import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/models/Filter.js';
import type { SimplePublicObject } from '@hubspot/api-client/lib/codegen/crm/objects/models/SimplePublicObject.js';
import type { CrmRecord, CrmSession } from '../types.ts';
import { type CallOptions, sessionApis } from './client.ts';
import { hubspotCall } from './errors.ts';
import { LIMITS } from './facts.ts';
import { chunks } from './values.ts';

/**
 * Finding records by a property through the search API: one `IN` filter per chunk of
 * values, every page read. HubSpot keeps emails lower case, so emails are lower-cased on
 * the way in and compared lower case on the way out.
 */

const CASE_INSENSITIVE_PROPERTIES = new Set(['email']);

function createdAt(result: SimplePublicObject): Date | undefined {
  const fromProperty = result.properties.createdate;
  const when =
    typeof fromProperty === 'string' && fromProperty !== '' ? new Date(fromProperty) : result.createdAt;
  return when instanceof Date && !Number.isNaN(when.getTime()) ? when : undefined;
}

export async function findBy(
  session: CrmSession,
  object: string,
  field: string,
  values: string[],
  fields: string[],
  call: CallOptions,
): Promise<CrmRecord[]> {
  const caseless = CASE_INSENSITIVE_PROPERTIES.has(field);
  const normalize = (value: string) => (caseless ? value.trim().toLowerCase() : value);
  const wanted = [...new Set(values.map(normalize))].filter((value) => value !== '');
  const properties = [...new Set([...fields, field, 'createdate'])];
  const apis = sessionApis(session, call);
  const found = new Map<string, CrmRecord>();

  for (const chunk of chunks(wanted, LIMITS.searchInValues)) {
    const matches = new Set(chunk);
    let after: string | undefined;
    do {
      const page = await hubspotCall(() =>
        apis.objects.searchApi.doSearch(object, {
          filterGroups: [
            { filters: [{ propertyName: field, operator: FilterOperatorEnum.In, values: chunk }] },
          ],
          properties,
          limit: LIMITS.searchPageSize,
          ...(after === undefined ? {} : { after }),
        }),
      );
      for (const result of page.results) {
        const value = result.properties[field];
        // Search may match more loosely than equality (tokens, case): keep exact matches only.
        if (typeof value !== 'string' || !matches.has(normalize(value))) continue;
        found.set(result.id, {
          id: result.id,
          object,
          createdAt: createdAt(result),
          values: Object.fromEntries(
            fields.map((name) => {
              const raw = result.properties[name] ?? null;
              return [name, caseless && name === field && raw !== null ? raw.toLowerCase() : raw];
            }),
          ),
        });
      }
      after = page.paging?.next?.after;
    } while (after !== undefined);
  }
  return [...found.values()];
}
