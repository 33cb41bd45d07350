import { ownValue } from '../../core/outside-input.ts';
import { connectors } from '../../crm/registry.ts';
import type { PersonFields, Provider, ProviderObjects } from '../../crm/types.ts';

export type { PersonFields } from '../../crm/types.ts';

/** Where an entry came from: a CRM connection, or the API (any other system). */
export type EntryOrigin = Provider | 'api';

/**
 * What the sales receiver knows about an origin's objects: a CRM's come from its connector;
 * entries sent through the API name objects of any other system, so nothing is known there.
 */
const API_OBJECTS: ProviderObjects = {
  aliases: {},
  labels: {},
  people: [],
  account: undefined,
  accountName: undefined,
  personFields: {},
  relatable: [],
  polled: [],
  names: { kind: 'any' },
  caseInsensitiveFields: false,
  convertedTo: undefined,
};

export function objectsOf(origin: EntryOrigin): ProviderObjects {
  return origin === 'api' ? API_OBJECTS : connectors[origin].objects;
}

/** The one spelling of an object name: `deal` and `DEALS` are `deals`, `lead` is `Lead`. */
export function canonicalObject(origin: EntryOrigin, name: string): string {
  const trimmed = name.trim();
  return ownValue(objectsOf(origin).aliases, trimmed.toLowerCase()) ?? trimmed;
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
