/**
 * HubSpot facts the sandbox reproduces, kept as data so a wrong one is fixed in one place.
 * What each one means is in docs/reference/hubspot.md; values marked "Unconfirmed" there
 * are widely used but were not verified against HubSpot's documentation.
 */

export const OBJECT_TYPES = ['contacts', 'companies', 'deals'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Names a path may use for an object type: plural, singular and the `0-N` type id. */
const OBJECT_TYPE_ALIASES: Record<string, ObjectType> = {
  contacts: 'contacts',
  contact: 'contacts',
  '0-1': 'contacts',
  companies: 'companies',
  company: 'companies',
  '0-2': 'companies',
  deals: 'deals',
  deal: 'deals',
  '0-3': 'deals',
};

export function objectTypeOf(name: string): ObjectType | undefined {
  const key = name.toLowerCase();
  // Own keys only: a path segment like `constructor` must not reach Object.prototype.
  return Object.hasOwn(OBJECT_TYPE_ALIASES, key) ? OBJECT_TYPE_ALIASES[key] : undefined;
}

export const OBJECT_TYPE_IDS: Record<ObjectType, string> = {
  contacts: '0-1',
  companies: '0-2',
  deals: '0-3',
};

/** Singular, upper-case names used in error messages (`Could not get some CONTACT objects`). */
export const OBJECT_LABELS: Record<ObjectType, { singular: string; upper: string }> = {
  contacts: { singular: 'contact', upper: 'CONTACT' },
  companies: { singular: 'company', upper: 'COMPANY' },
  deals: { singular: 'deal', upper: 'DEAL' },
};

/** Properties returned when a request names none. */
export const DEFAULT_RETURNED_PROPERTIES: Record<ObjectType, readonly string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  deals: [
    'amount',
    'closedate',
    'createdate',
    'dealname',
    'dealstage',
    'hs_lastmodifieddate',
    'hs_object_id',
    'pipeline',
  ],
};

/** The property that holds the last-modified time; contacts use a different name. */
export const LAST_MODIFIED_PROPERTY: Record<ObjectType, string> = {
  contacts: 'lastmodifieddate',
  companies: 'hs_lastmodifieddate',
  deals: 'hs_lastmodifieddate',
};

/** Properties a free-text search `query` looks into. */
export const QUERY_SEARCHED_PROPERTIES: Record<ObjectType, readonly string[]> = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'company'],
  companies: ['name', 'domain', 'website', 'phone'],
  deals: ['dealname'],
};

export const PROPERTY_TYPES = ['string', 'number', 'date', 'datetime', 'enumeration', 'bool'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

export const FIELD_TYPES = [
  'text',
  'textarea',
  'number',
  'date',
  'select',
  'radio',
  'checkbox',
  'booleancheckbox',
  'calculation_equation',
  'file',
  'html',
  'phonenumber',
] as const;

export interface PropertyOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
  description?: string;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropertyOption[];
  hasUniqueValue: boolean;
  hubspotDefined: boolean;
  /** Set by HubSpot itself; writes to it are ignored. */
  readOnlyValue: boolean;
  displayOrder: number;
  createdAt: string;
  updatedAt: string;
}

/** Default deal pipeline; probabilities are strings, as the pipelines API returns them. */
export const DEFAULT_DEAL_PIPELINE = {
  id: 'default',
  label: 'Sales Pipeline',
  stages: [
    { id: 'appointmentscheduled', label: 'Appointment Scheduled', probability: '0.2', isClosed: false },
    { id: 'qualifiedtobuy', label: 'Qualified To Buy', probability: '0.4', isClosed: false },
    { id: 'presentationscheduled', label: 'Presentation Scheduled', probability: '0.6', isClosed: false },
    { id: 'decisionmakerboughtin', label: 'Decision Maker Bought-In', probability: '0.8', isClosed: false },
    { id: 'contractsent', label: 'Contract Sent', probability: '0.9', isClosed: false },
    { id: 'closedwon', label: 'Closed Won', probability: '1.0', isClosed: true },
    { id: 'closedlost', label: 'Closed Lost', probability: '0.0', isClosed: true },
  ],
} as const;

export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;

type StandardProperty = [name: string, label: string, type: PropertyType, fieldType: string, group: string];

const STANDARD_PROPERTIES: Record<ObjectType, StandardProperty[]> = {
  contacts: [
    ['email', 'Email', 'string', 'text', 'contactinformation'],
    ['firstname', 'First Name', 'string', 'text', 'contactinformation'],
    ['lastname', 'Last Name', 'string', 'text', 'contactinformation'],
    ['phone', 'Phone Number', 'string', 'phonenumber', 'contactinformation'],
    ['mobilephone', 'Mobile Phone Number', 'string', 'phonenumber', 'contactinformation'],
    ['company', 'Company Name', 'string', 'text', 'contactinformation'],
    ['website', 'Website URL', 'string', 'text', 'contactinformation'],
    ['jobtitle', 'Job Title', 'string', 'text', 'contactinformation'],
    ['address', 'Street Address', 'string', 'text', 'contactinformation'],
    ['city', 'City', 'string', 'text', 'contactinformation'],
    ['state', 'State/Region', 'string', 'text', 'contactinformation'],
    ['zip', 'Postal Code', 'string', 'text', 'contactinformation'],
    ['country', 'Country/Region', 'string', 'text', 'contactinformation'],
    ['lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', 'contactinformation'],
    ['hs_lead_status', 'Lead Status', 'enumeration', 'radio', 'sales_properties'],
    ['hubspot_owner_id', 'Contact owner', 'enumeration', 'select', 'sales_properties'],
    ['createdate', 'Create Date', 'datetime', 'date', 'contactinformation'],
    ['lastmodifieddate', 'Last Modified Date', 'datetime', 'date', 'contactinformation'],
    ['hs_object_id', 'Record ID', 'number', 'number', 'contactinformation'],
  ],
  companies: [
    ['name', 'Company name', 'string', 'text', 'companyinformation'],
    ['domain', 'Company Domain Name', 'string', 'text', 'companyinformation'],
    ['website', 'Website URL', 'string', 'text', 'companyinformation'],
    ['phone', 'Phone Number', 'string', 'phonenumber', 'companyinformation'],
    ['industry', 'Industry', 'string', 'text', 'companyinformation'],
    ['city', 'City', 'string', 'text', 'companyinformation'],
    ['country', 'Country/Region', 'string', 'text', 'companyinformation'],
    ['numberofemployees', 'Number of Employees', 'number', 'number', 'companyinformation'],
    ['annualrevenue', 'Annual Revenue', 'number', 'number', 'companyinformation'],
    ['lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', 'companyinformation'],
    ['hubspot_owner_id', 'Company owner', 'enumeration', 'select', 'companyinformation'],
    ['createdate', 'Create Date', 'datetime', 'date', 'companyinformation'],
    ['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', 'companyinformation'],
    ['hs_object_id', 'Record ID', 'number', 'number', 'companyinformation'],
  ],
  deals: [
    ['dealname', 'Deal Name', 'string', 'text', 'dealinformation'],
    ['amount', 'Amount', 'number', 'number', 'dealinformation'],
    ['dealstage', 'Deal Stage', 'enumeration', 'radio', 'dealinformation'],
    ['pipeline', 'Pipeline', 'enumeration', 'select', 'dealinformation'],
    ['closedate', 'Close Date', 'datetime', 'date', 'dealinformation'],
    ['dealtype', 'Deal Type', 'enumeration', 'radio', 'dealinformation'],
    ['description', 'Deal Description', 'string', 'textarea', 'dealinformation'],
    ['hubspot_owner_id', 'Deal owner', 'enumeration', 'select', 'dealinformation'],
    ['hs_deal_stage_probability', 'Deal probability', 'number', 'number', 'dealinformation'],
    ['hs_is_closed', 'Is Deal Closed?', 'bool', 'booleancheckbox', 'dealinformation'],
    ['hs_is_closed_won', 'Is Closed Won', 'bool', 'booleancheckbox', 'dealinformation'],
    ['createdate', 'Create Date', 'datetime', 'date', 'dealinformation'],
    ['hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', 'dealinformation'],
    ['hs_object_id', 'Record ID', 'number', 'number', 'dealinformation'],
  ],
};

/** Properties HubSpot computes; values sent for them are ignored. */
export const READ_ONLY_PROPERTIES = new Set([
  'createdate',
  'lastmodifieddate',
  'hs_lastmodifieddate',
  'hs_object_id',
  'hs_deal_stage_probability',
  'hs_is_closed',
  'hs_is_closed_won',
]);

function optionsFor(type: ObjectType, name: string): PropertyOption[] {
  const values: readonly { value: string; label: string }[] =
    name === 'lifecyclestage'
      ? LIFECYCLE_STAGES.map((value) => ({ value, label: value }))
      : name === 'hs_lead_status'
        ? ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED'].map(
            (value) => ({ value, label: value }),
          )
        : type === 'deals' && name === 'dealstage'
          ? DEFAULT_DEAL_PIPELINE.stages.map((stage) => ({ value: stage.id, label: stage.label }))
          : type === 'deals' && name === 'pipeline'
            ? [{ value: DEFAULT_DEAL_PIPELINE.id, label: DEFAULT_DEAL_PIPELINE.label }]
            : type === 'deals' && name === 'dealtype'
              ? [
                  { value: 'newbusiness', label: 'New Business' },
                  { value: 'existingbusiness', label: 'Existing Business' },
                ]
              : [];
  return values.map((option, index) => ({ ...option, displayOrder: index, hidden: false }));
}

/** Options are only enforced for enumerations that have a fixed list. */
export const ENFORCED_OPTION_PROPERTIES = new Set([
  'lifecyclestage',
  'hs_lead_status',
  'dealstage',
  'pipeline',
]);

export function standardProperties(type: ObjectType, at: string): PropertyDefinition[] {
  return STANDARD_PROPERTIES[type].map(([name, label, propertyType, fieldType, groupName], index) => ({
    name,
    label,
    type: propertyType,
    fieldType,
    groupName,
    description: '',
    options: optionsFor(type, name),
    hasUniqueValue: false,
    hubspotDefined: true,
    readOnlyValue: READ_ONLY_PROPERTIES.has(name),
    displayOrder: index,
    createdAt: at,
    updatedAt: at,
  }));
}

/**
 * Association types between the standard objects. Each one has an inverse, so writing one
 * direction writes both, as HubSpot does. Ids: 279/280 unlabeled contact-company (doc);
 * the others are the widely used values (memory).
 */
export interface AssociationTypeFact {
  from: ObjectType;
  to: ObjectType;
  typeId: number;
  inverseTypeId: number;
  label: string | null;
  /** v3 read name (`contact_to_company`, `contact_to_company_unlabeled`). */
  v3Name: string;
  isDefault: boolean;
}

export const ASSOCIATION_TYPES: readonly AssociationTypeFact[] = [
  pair('contacts', 'companies', 1, 2, 'Primary', 'contact_to_company', 'company_to_contact', false),
  pair(
    'contacts',
    'companies',
    279,
    280,
    null,
    'contact_to_company_unlabeled',
    'company_to_contact_unlabeled',
    true,
  ),
  pair('deals', 'contacts', 3, 4, null, 'deal_to_contact', 'contact_to_deal', true),
  pair('deals', 'companies', 5, 6, 'Primary', 'deal_to_company', 'company_to_deal', false),
  pair('deals', 'companies', 341, 342, null, 'deal_to_company_unlabeled', 'company_to_deal_unlabeled', true),
].flat();

function pair(
  from: ObjectType,
  to: ObjectType,
  typeId: number,
  inverseTypeId: number,
  label: string | null,
  v3Name: string,
  inverseV3Name: string,
  isDefault: boolean,
): AssociationTypeFact[] {
  return [
    { from, to, typeId, inverseTypeId, label, v3Name, isDefault },
    {
      from: to,
      to: from,
      typeId: inverseTypeId,
      inverseTypeId: typeId,
      label,
      v3Name: inverseV3Name,
      isDefault,
    },
  ];
}

export function associationTypeById(typeId: number): AssociationTypeFact | undefined {
  return ASSOCIATION_TYPES.find((fact) => fact.typeId === typeId);
}

export function defaultAssociationType(from: ObjectType, to: ObjectType): AssociationTypeFact | undefined {
  return ASSOCIATION_TYPES.find((fact) => fact.from === from && fact.to === to && fact.isDefault);
}

/** Webhook subscription types the sandbox can generate. */
export const SUBSCRIPTION_TYPES = [
  'contact.creation',
  'contact.propertyChange',
  'contact.deletion',
  'contact.associationChange',
  'company.creation',
  'company.propertyChange',
  'company.deletion',
  'company.associationChange',
  'deal.creation',
  'deal.propertyChange',
  'deal.deletion',
  'deal.associationChange',
] as const;
export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number];

export const SUBSCRIPTION_PREFIX: Record<ObjectType, 'contact' | 'company' | 'deal'> = {
  contacts: 'contact',
  companies: 'company',
  deals: 'deal',
};

/** Rate-limit and webhook defaults (usage guidelines; webhooks overview). */
export const DEFAULTS = {
  rateLimitMax: 100,
  rateLimitIntervalMs: 10_000,
  dailyLimit: 250_000,
  tokenLifetimeSeconds: 1800,
  authCodeLifetimeMs: 10 * 60_000,
  webhookBatchSize: 100,
  webhookMaxRetries: 10,
  /** First retry after 2 minutes, doubling; scaled by the portal's retry time scale. */
  webhookFirstRetryMs: 120_000,
  webhookTimeoutMs: 5_000,
  webhookMaxConcurrent: 10,
  /** Events are gathered this long before a batch leaves, so bursts share one request. */
  webhookGatherMs: 200,
  deliveryLogSize: 500,
  searchMaxLimit: 200,
  searchMaxResults: 10_000,
  searchMaxFilterGroups: 5,
  searchMaxFiltersPerGroup: 10,
  searchMaxFilters: 25,
  batchMaxInputs: 100,
} as const;

export const DEFAULT_SCOPES = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.companies.read',
  'crm.objects.companies.write',
  'crm.objects.deals.read',
  'crm.objects.deals.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
];
