import { CrmError } from '../errors.ts';
import type { CrmConnector, CrmRecord, CrmSession } from '../types.ts';
import { openConnection } from './connection.ts';
import type { ResolvedOptions } from './options.ts';
import { LEAD_CONVERSION_FIELDS } from './provider.ts';
import { crmRecord, parseSalesforceDateTime, queryRows } from './query.ts';
import { soqlName, uniqueNames } from './soql.ts';

/**
 * Sales receiver catch-up: records changed since a point in time, by SOQL on
 * `SystemModstamp` (indexed, and moved by every change, a user's or the system's, where
 * `LastModifiedDate` misses system changes). Salesforce keeps datetimes to the second, so a
 * page that ends inside a second is completed with the rest of that second: the next call
 * starts strictly after it and never skips a record that shares the last time.
 */

type Row = Record<string, unknown>;

const SECOND_MS = 1000;

/** Fields every row carries, whatever the caller asked for. */
const ALWAYS_SELECTED = ['Id', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'] as const;

/**
 * A SOQL datetime literal in the documented form `YYYY-MM-DDThh:mm:ssZ` (UTC, unquoted).
 * Milliseconds are dropped, rounding down: Salesforce stores whole seconds, so `> 12:00:05Z`
 * is still "after 12:00:05.700" and no record of that second is lost.
 */
export function soqlDateTime(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms) || ms < 0 || ms >= Date.UTC(10_000, 0, 1)) {
    throw new CrmError('validation', 'INVALID_DATETIME', `Not a datetime SOQL can compare: ${String(date)}`);
  }
  return new Date(Math.floor(ms / SECOND_MS) * SECOND_MS).toISOString().replace('.000Z', 'Z');
}

function selectedFields(object: string, fields: readonly string[]): string[] {
  const conversion = object.toLowerCase() === 'lead' ? LEAD_CONVERSION_FIELDS : [];
  return uniqueNames([...ALWAYS_SELECTED, ...fields, ...conversion]).map(soqlName);
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 50_000) {
    throw new CrmError(
      'validation',
      'INVALID_LIMIT',
      `LIMIT must be an integer from 1 to 50000, not ${limit}`,
    );
  }
  return limit;
}

/** Up to `limit` records changed after `since`, oldest change first (ties by ID, so paging is stable). */
export function modifiedSinceSoql(
  object: string,
  fields: readonly string[],
  since: Date,
  limit: number,
): string {
  return (
    `SELECT ${selectedFields(object, fields).join(', ')} FROM ${soqlName(object)} ` +
    `WHERE SystemModstamp > ${soqlDateTime(since)} ` +
    `ORDER BY SystemModstamp ASC, Id ASC LIMIT ${checkLimit(limit)}`
  );
}

/** Every record changed within the second that holds `at`. */
export function modifiedWithinSecondSoql(object: string, fields: readonly string[], at: Date): string {
  const start = new Date(Math.floor(at.getTime() / SECOND_MS) * SECOND_MS);
  const end = new Date(start.getTime() + SECOND_MS);
  return (
    `SELECT ${selectedFields(object, fields).join(', ')} FROM ${soqlName(object)} ` +
    `WHERE SystemModstamp >= ${soqlDateTime(start)} AND SystemModstamp < ${soqlDateTime(end)} ` +
    'ORDER BY SystemModstamp ASC, Id ASC'
  );
}

function modifiedAtOf(row: Row): Date {
  const when = parseSalesforceDateTime(row.SystemModstamp);
  if (when === undefined) {
    throw new CrmError(
      'unavailable',
      'INVALID_RESPONSE',
      `Salesforce answered a record without a readable SystemModstamp: ${JSON.stringify(row.SystemModstamp)}`,
    );
  }
  return when;
}

function toRecord(object: string, row: Row, fields: readonly string[]): CrmRecord {
  return { ...crmRecord(object, row, fields), modifiedAt: modifiedAtOf(row) };
}

export async function modifiedSince(
  session: CrmSession,
  object: string,
  since: Date,
  fields: string[],
  limit: number,
  options: ResolvedOptions,
): Promise<{ records: CrmRecord[]; nextSince: Date | undefined }> {
  const wanted = uniqueNames(fields);
  const conn = openConnection(session, options);
  const rows = await queryRows(conn, modifiedSinceSoql(object, wanted, since, limit), options);
  const last = rows.at(-1);
  if (last === undefined || rows.length < limit) {
    return { records: rows.map((row) => toRecord(object, row, wanted)), nextSince: undefined };
  }
  // A full page may have cut a run of records sharing the last second: read that second whole.
  const lastSecond = Math.floor(modifiedAtOf(last).getTime() / SECOND_MS) * SECOND_MS;
  const tail = await queryRows(conn, modifiedWithinSecondSoql(object, wanted, new Date(lastSecond)), options);
  const records = [...rows.filter((row) => modifiedAtOf(row).getTime() < lastSecond), ...tail].map((row) =>
    toRecord(object, row, wanted),
  );
  const newest = records.reduce(
    (max, record) => Math.max(max, record.modifiedAt?.getTime() ?? max),
    lastSecond,
  );
  return { records, nextSince: new Date(newest) };
}

/** `modifiedSince` bound to the connector's options, as the connector object holds it. */
export function modifiedSinceWith(options: ResolvedOptions): NonNullable<CrmConnector['modifiedSince']> {
  return (session, object, since, fields, limit) =>
    modifiedSince(session, object, since, fields, limit, options);
}
