import { withCrm } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { ownValue } from '../../core/outside-input.ts';
import type { CrmConnector, CrmSession } from '../../crm/types.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import type { ReceiverSettingsRow } from '../settings/service.ts';
import { canonicalObject, type EntryOrigin, fieldValue, objectsOf } from './objects.ts';

/** Values of one record, `Id` included. */
export type RecordValues = Record<string, unknown>;

/**
 * A sales entry, normalized: the triggered object in one spelling, its fields (what the
 * event carried, edited fields first, completed from the CRM) and the records related to it
 * as the seed's relationship table says: the same object is the record itself; a related
 * object is its record when exactly one exists, else null.
 */
export interface EntryRecords {
  origin: EntryOrigin;
  object: string;
  recordId: string | null;
  values: RecordValues;
  related: Record<string, RecordValues | null>;
  /** Contacts linked to the account of the triggered record (contact matching `include_account_contacts`). */
  accountContacts: RecordValues[];
  /** `Object.Field` keys of the entry's fields: edits of related values. */
  overrides: RecordValues;
}

/** How many linked records are read to tell "exactly one" from "more". */
export const RELATED_PROBE = 2;
/** Most account contacts considered for fuzzy matching. */
const ACCOUNT_CONTACTS_LIMIT = 50;

/** The value of `object.field` for rules: an edited `Object.Field`, the record itself, or a related one. */
export function lookup(records: EntryRecords, object: string, field: string): unknown {
  const canonical = canonicalObject(records.origin, object);
  const edited = fieldValue(records.overrides, `${canonical}.${field}`);
  if (edited !== undefined) return edited;
  if (sameObject(records, canonical, records.object)) return fieldValue(records.values, field);
  return fieldValue(ownValue(records.related, canonical), field);
}

export function sameObject(records: Pick<EntryRecords, 'origin'>, a: string, b: string): boolean {
  return records.origin === 'api' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** HubSpot property-change events carry `propertyName`/`propertyValue`: read them as the property. */
function eventFields(fields: RecordValues): RecordValues {
  const name = fields.propertyName;
  if (typeof name === 'string' && name !== '' && !Object.hasOwn(fields, name)) {
    return { ...fields, [name]: fields.propertyValue ?? null };
  }
  return fields;
}

/** The fields the settings' rules and the origin's person facts read, by object. */
export function wantedFields(
  origin: EntryOrigin,
  settingsList: ReceiverSettingsRow[],
): Map<string, Set<string>> {
  const wanted = new Map<string, Set<string>>();
  const add = (object: string, field: string) => {
    const canonical = canonicalObject(origin, object);
    const set = wanted.get(canonical) ?? new Set<string>();
    set.add(field);
    wanted.set(canonical, set);
  };
  for (const settings of settingsList) {
    for (const rule of [
      ...settings.statusTriggers,
      ...settings.fieldUpdates,
      ...settings.targetMatch,
      ...settings.memberMatch,
    ]) {
      add(rule.object, rule.field);
    }
  }
  const facts = objectsOf(origin);
  for (const [object, person] of Object.entries(facts.personFields)) {
    for (const field of Object.values(person)) add(object, field);
  }
  if (facts.account && facts.accountName) add(facts.account, facts.accountName);
  return wanted;
}

export function splitFields(fields: RecordValues): { values: RecordValues; overrides: RecordValues } {
  const values: RecordValues = {};
  const overrides: RecordValues = {};
  for (const [key, value] of Object.entries(eventFields(fields))) {
    if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_]+$/.test(key)) overrides[key] = value;
    else values[key] = value;
  }
  return { values, overrides };
}

/** The entry normalized, before anything is read from the CRM. */
export function baseRecords(entry: SalesEntryRow, origin: EntryOrigin): EntryRecords {
  const { values, overrides } = splitFields(entry.fields);
  return {
    origin,
    object: canonicalObject(origin, entry.objectType ?? 'entry'),
    recordId: entry.recordId,
    values,
    related: {},
    accountContacts: [],
    overrides,
  };
}

/**
 * Normalizes the entry and, for CRM entries, reads what the rules need through the CRM.
 * CRM failures leave as CrmError (the job decides whether a retry can help).
 */
export async function resolveRecords(
  ctx: AppContext,
  entry: SalesEntryRow,
  origin: EntryOrigin,
  settingsList: ReceiverSettingsRow[],
): Promise<EntryRecords> {
  const records = baseRecords(entry, origin);
  const object = records.object;
  const recordId = entry.recordId;
  if (origin === 'api' || entry.connectionId === null || recordId === null) return records;
  const wanted = wantedFields(origin, settingsList);
  await withCrm(ctx, entry.connectionId, async (session, connector) => {
    await completeSelf(session, connector, records, recordId, [...(wanted.get(object) ?? [])]);
    for (const [other, fields] of wanted) {
      if (other === object) continue;
      records.related[other] = await exactlyOne(session, connector, object, recordId, other, [...fields]);
    }
    await accountContactsOf(session, connector, records, origin, settingsList);
  });
  return records;
}

/** With contact matching `include_account_contacts`: the contacts of the triggered record's account. */
export async function accountContactsOf(
  session: CrmSession,
  connector: CrmConnector,
  records: EntryRecords,
  origin: EntryOrigin,
  settingsList: ReceiverSettingsRow[],
): Promise<void> {
  const facts = objectsOf(origin);
  const includeAccountContacts = settingsList.some((s) => s.contactMatching === 'include_account_contacts');
  const account = facts.account;
  const contact = facts.people.at(-1);
  if (!includeAccountContacts || !account || !contact || !connector.related || !records.recordId) return;
  const accountId = records.object === account ? records.recordId : asId(records.related[account]?.Id);
  if (!accountId) return;
  const person = facts.personFields[contact];
  const fields = person ? Object.values(person) : [];
  const contacts = await connector.related(
    session,
    account,
    accountId,
    contact,
    fields,
    ACCOUNT_CONTACTS_LIMIT,
  );
  records.accountContacts = contacts.map((record) => ({ Id: record.id, ...record.values }));
}

function asId(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Fields the event did not carry are read from the record itself (HubSpot events carry one property). */
async function completeSelf(
  session: CrmSession,
  connector: CrmConnector,
  records: EntryRecords,
  recordId: string,
  fields: string[],
): Promise<void> {
  const missing = fields.filter((field) => fieldValue(records.values, field) === undefined);
  if (missing.length === 0 || !connector.getRecord) return;
  const record = await connector.getRecord(session, records.object, recordId, missing);
  if (!record) return;
  for (const field of missing) records.values[field] = record.values[field] ?? null;
}

async function exactlyOne(
  session: CrmSession,
  connector: CrmConnector,
  object: string,
  recordId: string,
  other: string,
  fields: string[],
): Promise<RecordValues | null> {
  if (!connector.related) return null;
  const found = await connector.related(session, object, recordId, other, fields, RELATED_PROBE);
  const [only] = found;
  return found.length === 1 && only ? { Id: only.id, ...only.values } : null;
}
