import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/models/Filter.js';
import type { CrmRecordMatch, CrmSession } from '../types.ts';
import { type CallOptions, sessionApis } from './client.ts';
import { hubspotCall } from './errors.ts';
import { LABEL_PROPERTIES } from './facts.ts';
import { OBJECTS } from './objects.ts';
import { getRecord } from './related.ts';

/**
 * Records a person looks for (the dry run's record picker): by ID when the text is one, by
 * exact email when it holds an `@` (lower-cased, as HubSpot keeps emails), else HubSpot's
 * own text search over the object's searchable properties. The text travels as a JSON value
 * of the search API, never spliced into anything.
 */

const RECORD_ID = /^\d{1,20}$/;

function labelOf(properties: Record<string, string | null | undefined>, names: readonly string[]): string {
  return names
    .map((name) => properties[name]?.trim() ?? '')
    .filter((part) => part !== '')
    .join(' ');
}

export async function searchRecords(
  session: CrmSession,
  object: string,
  query: string,
  limit: number,
  call: CallOptions,
): Promise<CrmRecordMatch[]> {
  const wanted = query.trim();
  if (wanted === '') return [];
  const emailProperty = OBJECTS.personFields[object]?.email;
  const labels = LABEL_PROPERTIES[object] ?? [];
  const properties = [...new Set([...labels, ...(emailProperty ? [emailProperty] : [])])];
  const toMatch = (id: string, values: Record<string, string | null | undefined>): CrmRecordMatch => {
    const email = emailProperty ? (values[emailProperty] ?? null) || null : null;
    return { id, label: labelOf(values, labels) || email || id, email };
  };
  if (RECORD_ID.test(wanted)) {
    const record = await getRecord(session, object, wanted, properties, call);
    if (record) {
      const values = Object.fromEntries(
        Object.entries(record.values).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : null,
        ]),
      );
      return [toMatch(record.id, values)];
    }
  }
  const apis = sessionApis(session, call);
  const filterGroups =
    emailProperty !== undefined && wanted.includes('@')
      ? [
          {
            filters: [
              { propertyName: emailProperty, operator: FilterOperatorEnum.Eq, value: wanted.toLowerCase() },
            ],
          },
        ]
      : [];
  const page = await hubspotCall(() =>
    apis.objects.searchApi.doSearch(object, {
      filterGroups,
      ...(filterGroups.length > 0 ? {} : { query: wanted }),
      properties,
      limit: Math.max(1, Math.floor(limit)),
    }),
  );
  return page.results.map((result) => toMatch(result.id, result.properties));
}
