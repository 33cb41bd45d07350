import { ownValue } from '../../core/outside-input.ts';
import type { ReferralRow } from '../../referrals/service.ts';
import type { ReceiverSettingsRow } from '../settings/service.ts';
import { emailDomain, FUZZY_SCORES, normalizeCompany, normalizeEmail, normalizeText } from './fuzzy.ts';
import { asText, fieldValue, GENERIC_PERSON_FIELDS, objectsOf, type PersonFields } from './objects.ts';
import type { DecideReads } from './reads.ts';
import { type EntryRecords, lookup, type RecordValues } from './records.ts';

export type MatchMethod =
  | 'previous_run'
  | 'referral_id'
  | 'external_id'
  | 'pushed_record'
  | 'referral_id_field'
  | 'fuzzy_email'
  | 'fuzzy_name_company';

export interface TargetMatch {
  referral: ReferralRow;
  method: MatchMethod;
  score: number;
  direct: boolean;
}

/** A person the entry is about: the triggered record, a related contact or lead, an account contact. */
interface Person {
  email: string | undefined;
  firstName: string;
  lastName: string;
  /** The last name as written, lower case: how referrals saved before name keys are found. */
  lastNameLower: string;
  company: string;
}

const REFERRAL_ID = /^ref_[0-9a-z]{26}$/;

function byId(reads: DecideReads, workspaceId: string, programId: string | null, ids: string[]) {
  return reads.findReferrals(workspaceId, programId, { by: 'ids', ids });
}

function only(rows: ReferralRow[]): ReferralRow | undefined {
  const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
  return unique.length === 1 ? unique[0] : undefined;
}

/** The person fields of the triggered record itself, when it is a person (API entries always are). */
function ownPersonFields(records: EntryRecords): PersonFields | undefined {
  return records.origin === 'api'
    ? GENERIC_PERSON_FIELDS
    : ownValue(objectsOf(records.origin).personFields, records.object);
}

/**
 * Direct matches, in this order: the referral an earlier run of this entry made or matched;
 * the target match rules (referral ID, external ID fields); a CRM record refsync itself
 * pushed (push records); for transition URLs and API entries, any field holding a refsync
 * referral ID.
 */
export async function directMatch(
  reads: DecideReads,
  workspaceId: string,
  programId: string | null,
  settings: ReceiverSettingsRow | undefined,
  records: EntryRecords,
  options: { previousReferralId: string | null; scanForIds: boolean },
): Promise<TargetMatch | undefined> {
  const hit = (rows: ReferralRow[], method: MatchMethod): TargetMatch | undefined => {
    const referral = only(rows);
    return referral ? { referral, method, score: 1, direct: true } : undefined;
  };
  const hitById = async (ids: string[], method: MatchMethod) =>
    hit(await byId(reads, workspaceId, programId, ids), method);
  if (options.previousReferralId) {
    const found = await hitById([options.previousReferralId], 'previous_run');
    if (found) return found;
  }
  for (const rule of settings?.targetMatch ?? []) {
    const value = asText(lookup(records, rule.object, rule.field))?.trim();
    if (!value) continue;
    if (rule.matchOn === 'referralId') {
      const found = await hitById([value], 'referral_id');
      if (found) return found;
    } else {
      const rows = await reads.findReferrals(workspaceId, programId, { by: 'externalId', externalId: value });
      const found = hit(rows, 'external_id');
      if (found) return found;
    }
  }
  const crmIds = [
    records.recordId,
    ...Object.values(records.related).map((values) => asText(values?.Id)),
  ].filter((id): id is string => typeof id === 'string' && id !== '');
  if (crmIds.length > 0) {
    const ids = await reads.subjectsPushedAs(workspaceId, crmIds);
    const found = await hitById(ids, 'pushed_record');
    if (found) return found;
  }
  if (options.scanForIds) {
    const ids = Object.values(records.values).flatMap((value) => {
      const text = asText(value)?.trim();
      return text && REFERRAL_ID.test(text) ? [text] : [];
    });
    const found = await hitById([...new Set(ids)], 'referral_id_field');
    if (found) return found;
  }
  return undefined;
}

function personOf(
  values: RecordValues | null | undefined,
  fields: PersonFields,
  company: string,
): Person | undefined {
  if (!values) return undefined;
  const text = (field: string) => asText(fieldValue(values, field)) ?? '';
  return {
    email: normalizeEmail(text(fields.email)),
    firstName: normalizeText(text(fields.firstName)),
    lastName: normalizeText(text(fields.lastName)),
    lastNameLower: text(fields.lastName).trim().toLowerCase(),
    company: normalizeCompany(fields.company ? text(fields.company) || company : company),
  };
}

/**
 * The people an entry is about, for fuzzy matching. Triggered only: the triggered record when
 * it is a person, else the person related to it (exactly one). With account contacts: also
 * every contact linked to the triggered record's account.
 */
export function peopleOf(records: EntryRecords, settings: ReceiverSettingsRow): Person[] {
  const facts = objectsOf(records.origin);
  const accountValues = facts.account ? records.related[facts.account] : undefined;
  const accountName =
    asText(
      facts.accountName && records.object === facts.account
        ? fieldValue(records.values, facts.accountName)
        : undefined,
    ) ??
    asText(facts.accountName ? fieldValue(accountValues, facts.accountName) : undefined) ??
    '';
  const people: Person[] = [];
  // API entries have no account, so their company comes from their own fields only.
  const own = ownPersonFields(records);
  if (own) {
    const person = personOf(records.values, own, accountName);
    if (person) people.push(person);
  } else {
    for (const object of facts.people) {
      const fields = facts.personFields[object];
      const person = fields ? personOf(records.related[object], fields, accountName) : undefined;
      if (person) people.push(person);
    }
  }
  if (settings.contactMatching === 'include_account_contacts') {
    const contact = facts.people.at(-1);
    const fields = contact ? facts.personFields[contact] : undefined;
    for (const values of records.accountContacts) {
      const person = fields ? personOf(values, fields, accountName) : undefined;
      if (person) people.push(person);
    }
  }
  return people;
}

/**
 * Fuzzy matches within the program: first a normalized email (score 1.0), then first name,
 * last name and company together (score 0.8). A match must be unambiguous: two referrals
 * fitting the same person is no match.
 */
export async function fuzzyMatch(
  reads: DecideReads,
  workspaceId: string,
  programId: string,
  people: Person[],
): Promise<TargetMatch | undefined> {
  const emails = [...new Set(people.flatMap((person) => (person.email ? [person.email] : [])))];
  const byEmail: ReferralRow[] = [];
  for (const email of emails) {
    const domain = emailDomain(email);
    const domains = domain === 'gmail.com' ? ['gmail.com', 'googlemail.com'] : [domain];
    const rows = await reads.findReferrals(workspaceId, programId, { by: 'emailKey', key: email, domains });
    byEmail.push(...rows.filter((row) => normalizeEmail(row.email ?? undefined) === email));
  }
  const hit = (rows: ReferralRow[], method: keyof typeof FUZZY_SCORES): TargetMatch | undefined => {
    const referral = only(rows);
    return referral ? { referral, method, score: FUZZY_SCORES[method], direct: false } : undefined;
  };
  const emailHit = hit(byEmail, 'fuzzy_email');
  if (emailHit) return emailHit;
  const byName: ReferralRow[] = [];
  for (const person of people) {
    if (!person.firstName || !person.lastName || !person.company) continue;
    const rows = await reads.findReferrals(workspaceId, programId, {
      by: 'lastNameKey',
      key: person.lastName,
      lastNameLower: person.lastNameLower,
    });
    byName.push(
      ...rows.filter(
        (row) =>
          normalizeText(row.firstName) === person.firstName &&
          normalizeText(row.lastName) === person.lastName &&
          normalizeCompany(row.company) === person.company,
      ),
    );
  }
  return hit(byName, 'fuzzy_name_company');
}

/** The person an entry would add as a referral (member match): names, email, company as the CRM has them. */
export function newReferralDetails(records: EntryRecords): {
  firstName?: string;
  lastName?: string;
  email?: string;
  company?: string;
  phone?: string;
} {
  const facts = objectsOf(records.origin);
  const ownFields = ownPersonFields(records);
  let values: RecordValues | null | undefined = ownFields ? records.values : undefined;
  let fields: PersonFields | undefined = ownFields;
  if (!fields) {
    for (const object of facts.people) {
      if (records.related[object]) {
        values = records.related[object];
        fields = facts.personFields[object];
        break;
      }
    }
  }
  if (!values || !fields) return {};
  const account = facts.account ? records.related[facts.account] : undefined;
  const text = (field: string | undefined) =>
    (field ? asText(fieldValue(values, field))?.trim() : undefined) || undefined;
  const company =
    text(fields.company) ?? (facts.accountName ? asText(fieldValue(account, facts.accountName)) : undefined);
  const details: { firstName?: string; lastName?: string; email?: string; company?: string; phone?: string } =
    {};
  const firstName = text(fields.firstName);
  const lastName = text(fields.lastName);
  const email = text(fields.email);
  const phone = text(fields.phone);
  if (firstName) details.firstName = firstName;
  if (lastName) details.lastName = lastName;
  if (email) details.email = email;
  if (company) details.company = company;
  if (phone) details.phone = phone;
  return details;
}
