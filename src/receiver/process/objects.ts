import { ownValue } from '../../core/outside-input.ts';
import type { Provider } from '../../crm/types.ts';

/** Where an entry came from: a CRM connection, or the API (any other system). */
export type EntryOrigin = Provider | 'api';

/** The fields of a person record that fuzzy matching and contact details read. */
export interface PersonFields {
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  /** Absent where the company lives on the account (Salesforce Contact). */
  company?: string;
}

/**
 * Provider facts the sales receiver needs, as data: the objects it knows (with the spellings
 * events use), which are people, which is the account, and the person fields to read.
 */
interface OriginFacts {
  /** Known objects by lower-case alias. */
  aliases: Record<string, string>;
  /** Person objects, most specific first (the record a referral became comes first). */
  people: readonly string[];
  account: string | undefined;
  accountName: string | undefined;
  personFields: Record<string, PersonFields>;
  /** Objects any other object can be related to (the relationship table). */
  relatable: readonly string[];
}

export const ORIGINS: Record<EntryOrigin, OriginFacts> = {
  salesforce: {
    aliases: { lead: 'Lead', contact: 'Contact', account: 'Account', opportunity: 'Opportunity' },
    people: ['Lead', 'Contact'],
    account: 'Account',
    accountName: 'Name',
    personFields: {
      Lead: {
        email: 'Email',
        firstName: 'FirstName',
        lastName: 'LastName',
        phone: 'Phone',
        company: 'Company',
      },
      Contact: { email: 'Email', firstName: 'FirstName', lastName: 'LastName', phone: 'Phone' },
    },
    relatable: ['Lead', 'Contact', 'Account', 'Opportunity'],
  },
  hubspot: {
    aliases: {
      contact: 'contacts',
      contacts: 'contacts',
      '0-1': 'contacts',
      company: 'companies',
      companies: 'companies',
      '0-2': 'companies',
      deal: 'deals',
      deals: 'deals',
      '0-3': 'deals',
    },
    people: ['contacts'],
    account: 'companies',
    accountName: 'name',
    personFields: {
      contacts: {
        email: 'email',
        firstName: 'firstname',
        lastName: 'lastname',
        phone: 'phone',
        company: 'company',
      },
    },
    relatable: ['contacts', 'companies', 'deals'],
  },
  api: {
    aliases: {},
    people: [],
    account: undefined,
    accountName: undefined,
    personFields: {},
    relatable: [],
  },
};

/** The one spelling of an object name: `deal` and `DEALS` are `deals`, `lead` is `Lead`. */
export function canonicalObject(origin: EntryOrigin, name: string): string {
  const trimmed = name.trim();
  return ownValue(ORIGINS[origin].aliases, trimmed.toLowerCase()) ?? trimmed;
}

/**
 * Person fields of an API entry (or of any object without known fields): the usual names,
 * so `email`, `firstName`, `company` sent through the API are read too.
 */
export const GENERIC_PERSON_FIELDS: PersonFields = {
  email: 'email',
  firstName: 'firstName',
  lastName: 'lastName',
  phone: 'phone',
  company: 'company',
};

/** A field value by API name; Salesforce names are case-insensitive, so lookups are too. */
export function fieldValue(values: Record<string, unknown> | null | undefined, field: string): unknown {
  if (!values) return undefined;
  if (Object.hasOwn(values, field)) return values[field];
  const lower = field.toLowerCase();
  for (const [key, value] of Object.entries(values)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** A value as the text triggers and matches compare: numbers and booleans as written, null as absent. */
export function asText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
