import type { CrmFieldType, ProviderEndpoints, SystemField } from '../types.ts';

/**
 * HubSpot facts the connector relies on, kept as data so a wrong one is fixed in one place.
 * Explained in docs/reference/hubspot.md (sections "Errors", "Rate limits", "OAuth and the token
 * info endpoint", "CRM v3 objects", "Property values are strings").
 */

export const HUBSPOT_ENDPOINTS: ProviderEndpoints = {
  baseUrl: 'https://api.hubapi.com',
  authorizeBaseUrl: 'https://app.hubspot.com',
};

/** API hosts of the real service (`api.hubapi.com`, `api-eu1.hubapi.com`, ...). */
export const REAL_API_HOST = /(^|\.)hubapi\.com$/;

/** What refsync asks for on the consent screen: contacts read/write, deals, company names, properties. */
export const OAUTH_SCOPES = [
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.deals.read',
  'crm.objects.deals.write',
  'crm.objects.companies.read',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
  'oauth',
] as const;

/** Inputs per batch call, search `IN` values per filter, and results per search page. */
export const LIMITS = {
  batchInputs: 100,
  searchInValues: 100,
  searchPageSize: 100,
} as const;

/**
 * The client's `numberOfApiCallRetries` counts attempts, not retries: 2 means one retry. With
 * 2, one 429 burst (client waits 10 s) or one 5xx (client waits 200 ms) is absorbed, while a
 * longer outage surfaces quickly so refsync's own backoff takes over.
 */
export const DEFAULT_API_CALL_ATTEMPTS = 2;
/** The client refuses more. */
export const MAX_API_CALL_ATTEMPTS = 6;

/**
 * Calls per portal per rolling window, until the portal's headers tell its own (apps on paid
 * tiers get more); and the search endpoints' limit (documented as five per second per
 * token; four are used), which has no headers.
 */
export const RATE_LIMIT = { max: 100, intervalMs: 10_000 } as const;
export const SEARCH_RATE_LIMIT = { max: 4, intervalMs: 1000 } as const;

/** When a 429 carries no `X-HubSpot-RateLimit-Interval-Milliseconds`: the usual 10 s window. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 10_000;

/**
 * Waits for 429 policies that are not the rolling window. A DAILY limit resets at midnight
 * in the account's time zone, which the API does not tell us: retrying hourly is cheap and
 * never far behind. SECONDLY is the search endpoints' per-second limit.
 */
export const POLICY_WAIT_MS: Record<string, number> = {
  DAILY: 60 * 60_000,
  SECONDLY: 1000,
};

export interface HubspotObjectFacts {
  /** `0-N` type id, used in record links. */
  typeId: string;
  /** Property group new refsync properties go into. */
  propertyGroup: string;
}

export const OBJECTS: Record<string, HubspotObjectFacts> = {
  contacts: { typeId: '0-1', propertyGroup: 'contactinformation' },
  companies: { typeId: '0-2', propertyGroup: 'companyinformation' },
  deals: { typeId: '0-3', propertyGroup: 'dealinformation' },
};

/** The properties a record is called by, joined with spaces (a contact's first and last name). */
export const LABEL_PROPERTIES: Record<string, readonly string[]> = {
  contacts: ['firstname', 'lastname'],
  companies: ['name'],
  deals: ['dealname'],
};

/** Objects referrals and members can be pushed as. */
export const PUSH_OBJECTS = ['contacts'] as const;

/** The deal property holding its pipeline stage (options: every pipeline's stages). */
export const DEAL_STAGE_PROPERTY = 'dealstage';

/** Deal → contact, unlabeled (HubSpot-defined association type 3). */
export const DEAL_TO_CONTACT_ASSOCIATION_TYPE_ID = 3;

export const STANDARD_MAPPINGS: Record<string, Array<{ crmField: string; from: string }>> = {
  contacts: [
    { crmField: 'firstname', from: 'referral.firstName' },
    { crmField: 'lastname', from: 'referral.lastName' },
    { crmField: 'email', from: 'referral.email' },
    { crmField: 'company', from: 'referral.company' },
    { crmField: 'phone', from: 'referral.phone' },
  ],
};

export const SYSTEM_FIELD_NAMES: Record<SystemField, string> = {
  referralId: 'refsync_referral_id',
  source: 'refsync_source',
  sourceNote: 'refsync_source_note',
  referralUrl: 'refsync_referral_url',
  memberUrl: 'refsync_member_url',
};

/**
 * HubSpot has no email, url or id property types; these standard properties hold them. The
 * type matters to mapping validation (an email goes to an email field).
 */
export const TYPES_BY_PROPERTY_NAME: Record<string, CrmFieldType> = {
  email: 'email',
  website: 'url',
  hs_object_id: 'id',
};

/** `fieldType` first (how the value is entered), then `type` (how it is stored). */
export const TYPES_BY_FIELD_TYPE: Record<string, CrmFieldType> = {
  textarea: 'textarea',
  html: 'textarea',
  phonenumber: 'phone',
  booleancheckbox: 'boolean',
  select: 'picklist',
  radio: 'picklist',
  checkbox: 'picklist',
};

export const TYPES_BY_PROPERTY_TYPE: Record<string, CrmFieldType> = {
  string: 'string',
  phone_number: 'phone',
  number: 'number',
  bool: 'boolean',
  enumeration: 'picklist',
  date: 'date',
  datetime: 'datetime',
};

/** Batch error categories and what they mean for the one record they name. */
export const RECORD_ERROR_KINDS: Record<string, 'duplicate' | 'not_found' | 'validation'> = {
  CONFLICT: 'duplicate',
  OBJECT_ALREADY_EXISTS: 'duplicate',
  OBJECT_NOT_FOUND: 'not_found',
  VALIDATION_ERROR: 'validation',
};
