import type { Connection } from 'jsforce';
import type { CrmRecord, CrmSession } from '../types.ts';
import { openConnection, salesforceCall } from './connection.ts';
import type { ResolvedOptions } from './options.ts';
import { LEAD_CONVERSION_FIELDS, MAX_ENCODED_IN_LIST_CHARS, MAX_VALUES_PER_QUERY } from './provider.ts';
import { inLists, selectWhereIn, soqlString, uniqueNames } from './soql.ts';

type Row = Record<string, unknown>;

/** Every row of a query, following `nextRecordsUrl` page by page. */
export async function queryRows(conn: Connection, soql: string, options: ResolvedOptions): Promise<Row[]> {
  const headers: Record<string, string> =
    options.queryBatchSize === undefined
      ? {}
      : { 'Sforce-Query-Options': `batchSize=${options.queryBatchSize}` };
  return salesforceCall(options, async () => {
    let page = await conn.query(soql, { headers, autoFetch: false });
    const rows: Row[] = [...page.records];
    while (!page.done && page.nextRecordsUrl !== undefined) {
      const next = page.nextRecordsUrl;
      page = await conn.queryMore(next);
      rows.push(...page.records);
    }
    return rows;
  });
}

/** A field of a row by API name or parent path (`Account.Name`), matching names as Salesforce does. */
function valueAt(row: Row, path: string): unknown {
  let current: unknown = row;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return null;
    const lower = part.toLowerCase();
    const entry = Object.entries(current as Row).find(([key]) => key.toLowerCase() === lower);
    current = entry?.[1] ?? null;
  }
  return current;
}

/** REST datetimes look like `2025-01-01T12:00:00.000+0000`; the offset needs a colon to be ISO. */
export function parseSalesforceDateTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A queried row as a CrmRecord; a Lead also says which Contact it was converted to. */
export function crmRecord(object: string, row: Row, fields: readonly string[]): CrmRecord {
  const record: CrmRecord = {
    id: String(row.Id),
    object,
    createdAt: parseSalesforceDateTime(row.CreatedDate),
    values: Object.fromEntries(fields.map((field) => [field, valueAt(row, field)])),
  };
  if (object.toLowerCase() === 'lead') {
    const contactId = row.ConvertedContactId;
    record.convertedContactId =
      row.IsConverted === true && typeof contactId === 'string' ? contactId : undefined;
  }
  return record;
}

/**
 * Records whose `field` is one of `values`, by SOQL `IN` lists of at most 200 literals.
 * Salesforce compares strings (e-mails included) without regard to case. A record matched by
 * two spellings of one value is returned once.
 */
export async function findBy(
  session: CrmSession,
  object: string,
  field: string,
  values: string[],
  fields: string[],
  options: ResolvedOptions,
): Promise<CrmRecord[]> {
  const literals = [...new Set(values)].map(soqlString);
  if (literals.length === 0) return [];
  const wanted = uniqueNames([field, ...fields]);
  const conversion = object.toLowerCase() === 'lead' ? LEAD_CONVERSION_FIELDS : [];
  const selected = uniqueNames(['Id', 'CreatedDate', ...wanted, ...conversion]);
  const conn = openConnection(session, options);
  const found = new Map<string, CrmRecord>();
  for (const list of inLists(literals, MAX_VALUES_PER_QUERY, MAX_ENCODED_IN_LIST_CHARS)) {
    const rows = await queryRows(conn, selectWhereIn(object, selected, field, list), options);
    for (const row of rows) {
      const record = crmRecord(object, row, wanted);
      found.set(record.id, record);
    }
  }
  return [...found.values()];
}
