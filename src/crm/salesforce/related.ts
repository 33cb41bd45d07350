import type { CrmRecord, CrmSession } from '../types.ts';
import { openConnection } from './connection.ts';
import type { ResolvedOptions } from './options.ts';
import { findBy, queryRows } from './query.ts';
import { soqlName, soqlString, uniqueNames } from './soql.ts';

/**
 * How to find the records of one object linked to a record of another, for the sales
 * receiver. Each way is a SOQL query selecting the IDs of the records wanted; the first way
 * that finds any wins (an Opportunity's contacts come from its contact roles, and from the
 * lead it was converted from when it has none).
 */
interface RelationWay {
  /** Object queried. */
  from: string;
  /** Column holding the ID of the record wanted. */
  column: string;
  /** Column compared with the ID of the record we start from. */
  where: string;
}

const RELATIONS: Record<string, RelationWay[]> = {
  'contact>account': [{ from: 'Contact', column: 'AccountId', where: 'Id' }],
  'contact>opportunity': [{ from: 'OpportunityContactRole', column: 'OpportunityId', where: 'ContactId' }],
  'contact>lead': [{ from: 'Lead', column: 'Id', where: 'ConvertedContactId' }],
  'opportunity>account': [{ from: 'Opportunity', column: 'AccountId', where: 'Id' }],
  'opportunity>contact': [
    { from: 'OpportunityContactRole', column: 'ContactId', where: 'OpportunityId' },
    { from: 'Lead', column: 'ConvertedContactId', where: 'ConvertedOpportunityId' },
  ],
  'opportunity>lead': [{ from: 'Lead', column: 'Id', where: 'ConvertedOpportunityId' }],
  'account>contact': [{ from: 'Contact', column: 'Id', where: 'AccountId' }],
  'account>opportunity': [{ from: 'Opportunity', column: 'Id', where: 'AccountId' }],
  'account>lead': [{ from: 'Lead', column: 'Id', where: 'ConvertedAccountId' }],
  'lead>contact': [{ from: 'Lead', column: 'ConvertedContactId', where: 'Id' }],
  'lead>account': [{ from: 'Lead', column: 'ConvertedAccountId', where: 'Id' }],
  'lead>opportunity': [{ from: 'Lead', column: 'ConvertedOpportunityId', where: 'Id' }],
};

/** One record by ID with the fields asked for; undefined when there is none. */
export async function getRecord(
  session: CrmSession,
  object: string,
  id: string,
  fields: string[],
  options: ResolvedOptions,
): Promise<CrmRecord | undefined> {
  const [record] = await findBy(session, object, 'Id', [id], fields, options);
  return record;
}

/**
 * Records of `toObject` linked to the record `id` of `object` (at most `limit`), following
 * the relations above; an unknown pair of objects has no related records.
 */
export async function related(
  session: CrmSession,
  object: string,
  id: string,
  toObject: string,
  fields: string[],
  limit: number,
  options: ResolvedOptions,
): Promise<CrmRecord[]> {
  const ways = RELATIONS[`${object.toLowerCase()}>${toObject.toLowerCase()}`] ?? [];
  const conn = openConnection(session, options);
  for (const way of ways) {
    const soql =
      `SELECT ${soqlName(way.column)} FROM ${soqlName(way.from)} ` +
      `WHERE ${soqlName(way.where)} = ${soqlString(id)} LIMIT ${Math.max(1, Math.floor(limit))}`;
    const rows = await queryRows(conn, soql, options);
    const ids = [
      ...new Set(
        rows.flatMap((row) => {
          const entry = Object.entries(row).find(([key]) => key.toLowerCase() === way.column.toLowerCase());
          const value = entry?.[1];
          return typeof value === 'string' && value !== '' ? [value] : [];
        }),
      ),
    ];
    if (ids.length > 0) return findBy(session, toObject, 'Id', ids, fields, options);
  }
  return [];
}

/** Records by ID with the fields asked for, in as few queries as the IN lists allow. */
export async function getRecords(
  session: CrmSession,
  object: string,
  ids: string[],
  fields: string[],
  options: ResolvedOptions,
): Promise<CrmRecord[]> {
  return findBy(session, object, 'Id', ids, fields, options);
}

/**
 * The record as a read by Id with these fields gives it: a query by another column also
 * returned that column.
 */
function withFields(record: CrmRecord, fields: string[]): CrmRecord {
  const read = new Map(Object.entries(record.values).map(([key, value]) => [key.toLowerCase(), value]));
  read.set('id', record.id);
  const values = Object.fromEntries(
    uniqueNames(['Id', ...fields]).map((field) => [field, read.get(field.toLowerCase()) ?? null]),
  );
  return { ...record, values };
}

/** A Salesforce ID's first 15 characters: the same record in its 15- and 18-character forms. */
const idKey = (id: string) => id.slice(0, 15);

/**
 * `related` for many records of one object at once: one query per way of linking (for the
 * records the ways before it found nothing for) and one for the linked records, whatever
 * the number of records. At most `limit` linked records per record; answers by the IDs given.
 */
export async function relatedMany(
  session: CrmSession,
  object: string,
  ids: string[],
  toObject: string,
  fields: string[],
  limit: number,
  options: ResolvedOptions,
): Promise<Map<string, CrmRecord[]>> {
  const ways = RELATIONS[`${object.toLowerCase()}>${toObject.toLowerCase()}`] ?? [];
  const links = new Map<string, string[]>();
  // Records a way read whole: it queried the wanted object itself (`column` is its Id).
  const byId = new Map<string, CrmRecord>();
  let open = [...new Set(ids)];
  for (const way of ways) {
    if (open.length === 0) break;
    const whole = way.column === 'Id' && way.from.toLowerCase() === toObject.toLowerCase();
    const rows = await findBy(session, way.from, way.where, open, whole ? fields : [way.column], options);
    for (const row of rows) {
      const from = row.values[way.where];
      const to = way.column === 'Id' ? row.id : row.values[way.column];
      if (typeof from !== 'string' || typeof to !== 'string' || to === '') continue;
      const linked = links.get(idKey(from)) ?? [];
      if (!linked.includes(to) && linked.length < Math.max(1, Math.floor(limit))) linked.push(to);
      links.set(idKey(from), linked);
      if (whole) byId.set(idKey(to), withFields(row, fields));
    }
    open = open.filter((id) => !links.has(idKey(id)));
  }
  const unread = [...new Set([...links.values()].flat())].filter((id) => !byId.has(idKey(id)));
  for (const record of await findBy(session, toObject, 'Id', unread, fields, options)) {
    byId.set(idKey(record.id), record);
  }
  const found = new Map<string, CrmRecord[]>();
  for (const id of new Set(ids)) {
    const linked = links.get(idKey(id)) ?? [];
    found.set(
      id,
      linked.flatMap((to) => {
        const record = byId.get(idKey(to));
        return record ? [record] : [];
      }),
    );
  }
  return found;
}
