import { CrmError } from '../errors.ts';
import type { CrmCampaign, CrmRecordMatch, CrmSession } from '../types.ts';
import { openConnection } from './connection.ts';
import { OBJECTS } from './objects.ts';
import type { ResolvedOptions } from './options.ts';
import { NAME_FIELD } from './provider.ts';
import { queryRows } from './query.ts';
import { soqlContains, soqlName, soqlString } from './soql.ts';

/**
 * What a person looks up while setting refsync up: campaigns for push settings, records for
 * the dry run. Every value reaches SOQL as an escaped literal; names are checked.
 */

/** A record ID in its 15- or 18-character form. */
const SALESFORCE_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

const whole = (limit: number) => Math.max(1, Math.floor(limit));

export async function campaigns(
  session: CrmSession,
  query: string,
  limit: number,
  options: ResolvedOptions,
): Promise<CrmCampaign[]> {
  const where = query.trim() === '' ? '' : ` WHERE Name LIKE ${soqlContains(query.trim())}`;
  const rows = await queryRows(
    openConnection(session, options),
    `SELECT Id, Name, Status FROM Campaign${where} ORDER BY Name LIMIT ${whole(limit)}`,
    options,
  );
  return rows.map((row) => ({
    id: String(row.Id),
    name: text(row.Name) ?? String(row.Id),
    ...(text(row.Status) === null ? {} : { status: String(row.Status) }),
  }));
}

/**
 * By ID when the text looks like one (a malformed one finds nothing), then by email (person
 * objects) or name, newest first.
 */
export async function searchRecords(
  session: CrmSession,
  object: string,
  query: string,
  limit: number,
  options: ResolvedOptions,
): Promise<CrmRecordMatch[]> {
  const wanted = query.trim();
  if (wanted === '') return [];
  const emailField = OBJECTS.personFields[object]?.email;
  const fields = ['Id', NAME_FIELD, ...(emailField ? [emailField] : [])].map(soqlName).join(', ');
  const conn = openConnection(session, options);
  const select = (where: string) =>
    queryRows(
      conn,
      `SELECT ${fields} FROM ${soqlName(object)} WHERE ${where} ORDER BY CreatedDate DESC LIMIT ${whole(limit)}`,
      options,
    );
  const toMatch = (row: Record<string, unknown>): CrmRecordMatch => ({
    id: String(row.Id),
    label: text(row[NAME_FIELD]) ?? (emailField ? text(row[emailField]) : null) ?? String(row.Id),
    email: emailField ? text(row[emailField]) : null,
  });
  if (SALESFORCE_ID.test(wanted)) {
    try {
      const byId = await select(`Id = ${soqlString(wanted)}`);
      if (byId.length > 0) return byId.map(toMatch);
    } catch (error) {
      if (!(error instanceof CrmError) || error.kind !== 'validation') throw error;
    }
  }
  const pattern = soqlContains(wanted);
  const where = emailField
    ? `${soqlName(emailField)} LIKE ${pattern} OR ${NAME_FIELD} LIKE ${pattern}`
    : `${NAME_FIELD} LIKE ${pattern}`;
  return (await select(where)).map(toMatch);
}
