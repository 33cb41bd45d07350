import type { CrmFieldType, ProviderEndpoints, SystemField } from '../types.ts';

/**
 * Salesforce facts the connector relies on, kept as data so a change of limit, scope or
 * field name is a one-line edit. Explained in docs/reference/salesforce.md (sections "REST
 * basics and API version", "OAuth 2.0", "sObject Collections", "SOQL", "Leads, conversion and
 * CampaignMember").
 */

/** REST API version every call uses; jsforce would otherwise fall back to 50.0. */
export const API_VERSION = '62.0';

export const DEFAULT_ENDPOINTS: ProviderEndpoints = {
  baseUrl: 'https://login.salesforce.com',
  authorizeBaseUrl: 'https://login.salesforce.com',
};

/** `api` for REST calls, `refresh_token` so the consent yields a refresh token at all. */
export const OAUTH_SCOPES = ['api', 'refresh_token'] as const;

/** sObject Collections take at most 200 records per call. */
export const MAX_RECORDS_PER_COLLECTION = 200;

/** Values per `IN (...)` list, so one query stays one small call. */
export const MAX_VALUES_PER_QUERY = 200;

/**
 * Characters the URL-encoded `IN (...)` list may take. The query travels in the URL of a
 * GET, and Salesforce refuses long URIs (about 16 KB), so 200 long e-mails must split earlier.
 */
export const MAX_ENCODED_IN_LIST_CHARS = 12_000;

export const PUSH_OBJECTS = ['Lead', 'Contact'] as const;

const PERSON_FIELDS = [
  { crmField: 'FirstName', from: 'referral.firstName' },
  { crmField: 'LastName', from: 'referral.lastName' },
  { crmField: 'Email', from: 'referral.email' },
];

export const STANDARD_MAPPINGS: Record<string, Array<{ crmField: string; from: string }>> = {
  Lead: [
    ...PERSON_FIELDS,
    { crmField: 'Company', from: 'referral.company' },
    { crmField: 'Phone', from: 'referral.phone' },
  ],
  Contact: [...PERSON_FIELDS, { crmField: 'Phone', from: 'referral.phone' }],
};

/** Custom fields refsync writes on every pushed record; the same names on Lead and Contact. */
export const SYSTEM_FIELD_NAMES: Record<SystemField, string> = {
  referralId: 'Refsync_Referral_Id__c',
  source: 'Refsync_Source__c',
  sourceNote: 'Refsync_Source_Note__c',
  referralUrl: 'Refsync_Referral_Url__c',
  memberUrl: 'Refsync_Member_Url__c',
};

/** The field every object (custom ones included) names its records by. */
export const NAME_FIELD = 'Name';

/** Lead fields read with every lookup, so a converted Lead leads to its Contact. */
export const LEAD_CONVERSION_FIELDS = ['IsConverted', 'ConvertedContactId'] as const;

/** Describe `type` values mapped to refsync's field types; anything unlisted is `other`. */
export const FIELD_TYPES: Record<string, CrmFieldType> = {
  string: 'string',
  encryptedstring: 'string',
  // A combobox is a picklist that also takes free text.
  combobox: 'string',
  textarea: 'textarea',
  email: 'email',
  phone: 'phone',
  url: 'url',
  int: 'number',
  long: 'number',
  double: 'number',
  currency: 'number',
  percent: 'number',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
  picklist: 'picklist',
  multipicklist: 'picklist',
  id: 'id',
  reference: 'reference',
};

/** How a new custom field is declared to the Tooling API, per refsync field type. */
export const CUSTOM_FIELD_METADATA: Record<'string' | 'textarea' | 'url', Record<string, unknown>> = {
  string: { type: 'Text', length: 255 },
  // Salesforce requires both a length and the number of visible lines for long text.
  textarea: { type: 'LongTextArea', length: 32_768, visibleLines: 3 },
  url: { type: 'Url' },
};

/** The relationship field a CampaignMember uses for each pushable object. */
export const CAMPAIGN_MEMBER_FIELDS: Record<string, string> = {
  Lead: 'LeadId',
  Contact: 'ContactId',
};

/** Host names of real orgs; any other host is taken for refsync's sandbox. */
export const SALESFORCE_HOST_SUFFIXES = [
  '.salesforce.com',
  '.force.com',
  '.salesforce.mil',
  '.cloudforce.com',
  '.sfcrmproducts.cn',
] as const;

/** Objects refsync's sandbox web page lists (`/_ui/orgs/<orgId>?object=<Object>`). */
export const SANDBOX_UI_OBJECTS = ['Lead', 'Contact', 'Account', 'Opportunity'] as const;
