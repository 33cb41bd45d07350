import { KEY_PREFIXES } from './ids.ts';
import type { FieldDef, FieldType, ObjectDef, PicklistValue } from './schema.ts';

/** Builders for the definitions below: `sys` for read-only system fields, `field` for writable ones. */
export const sys = (
  name: string,
  label: string,
  type: FieldType,
  extra: Partial<FieldDef> = {},
): FieldDef => ({
  name,
  label,
  type,
  createable: false,
  updateable: false,
  custom: false,
  ...extra,
});

const field = (name: string, label: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  label,
  type,
  createable: true,
  updateable: true,
  custom: false,
  ...(type === 'string' ? { length: 255 } : {}),
  ...(type === 'email' || type === 'url' ? { length: 80 } : {}),
  ...(type === 'phone' ? { length: 40 } : {}),
  ...(type === 'textarea' ? { length: 32000 } : {}),
  ...(type === 'picklist' ? { length: 255 } : {}),
  ...extra,
});

const ref = (
  name: string,
  label: string,
  to: string,
  relationshipName: string,
  extra: Partial<FieldDef> = {},
) => field(name, label, 'reference', { referenceTo: [to], relationshipName, length: 18, ...extra });

const picklist = (values: string[], defaultValue?: string): PicklistValue[] =>
  values.map((value) => ({ value, label: value, ...(value === defaultValue ? { default: true } : {}) }));

function systemFields(withOwner: boolean): FieldDef[] {
  return [
    sys('Id', 'Record ID', 'id', { length: 18, idLookup: true }),
    sys('IsDeleted', 'Deleted', 'boolean'),
    ...(withOwner
      ? [ref('OwnerId', 'Owner ID', 'User', 'Owner', { createable: true, updateable: true })]
      : []),
    sys('CreatedDate', 'Created Date', 'datetime'),
    sys('CreatedById', 'Created By ID', 'reference', {
      referenceTo: ['User'],
      relationshipName: 'CreatedBy',
      length: 18,
    }),
    sys('LastModifiedDate', 'Last Modified Date', 'datetime'),
    sys('LastModifiedById', 'Last Modified By ID', 'reference', {
      referenceTo: ['User'],
      relationshipName: 'LastModifiedBy',
      length: 18,
    }),
    sys('SystemModstamp', 'System Modstamp', 'datetime'),
  ];
}

export const LEAD_STATUSES = [
  { value: 'Open - Not Contacted', converted: false },
  { value: 'Working - Contacted', converted: false },
  { value: 'Closed - Converted', converted: true },
  { value: 'Closed - Not Converted', converted: false },
] as const;

/** Opportunity stages with the values Salesforce derives from them. */
export const OPPORTUNITY_STAGES = [
  { value: 'Prospecting', probability: 10, closed: false, won: false },
  { value: 'Qualification', probability: 10, closed: false, won: false },
  { value: 'Needs Analysis', probability: 20, closed: false, won: false },
  { value: 'Value Proposition', probability: 50, closed: false, won: false },
  { value: 'Id. Decision Makers', probability: 60, closed: false, won: false },
  { value: 'Perception Analysis', probability: 70, closed: false, won: false },
  { value: 'Proposal/Price Quote', probability: 75, closed: false, won: false },
  { value: 'Negotiation/Review', probability: 90, closed: false, won: false },
  { value: 'Closed Won', probability: 100, closed: true, won: true },
  { value: 'Closed Lost', probability: 0, closed: true, won: false },
] as const;

const LEAD_SOURCES = picklist(['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']);
const INDUSTRIES = picklist([
  'Agriculture',
  'Banking',
  'Education',
  'Finance',
  'Healthcare',
  'Technology',
  'Other',
]);

const addressFields = (prefix: string, labelPrefix: string): FieldDef[] => [
  field(`${prefix}Street`, `${labelPrefix}Street`, 'textarea', { length: 255 }),
  field(`${prefix}City`, `${labelPrefix}City`, 'string', { length: 40 }),
  field(`${prefix}State`, `${labelPrefix}State/Province`, 'string', { length: 80 }),
  field(`${prefix}PostalCode`, `${labelPrefix}Zip/Postal Code`, 'string', { length: 20 }),
  field(`${prefix}Country`, `${labelPrefix}Country`, 'string', { length: 80 }),
];

const personName = (): FieldDef[] => [
  field('Salutation', 'Salutation', 'picklist', {
    picklistValues: picklist(['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.']),
  }),
  field('FirstName', 'First Name', 'string', { length: 40 }),
  field('LastName', 'Last Name', 'string', { length: 80, required: true }),
  sys('Name', 'Full Name', 'string', { length: 121 }),
];

/** The standard objects the sandbox serves, with their fields, as data. */
export const STANDARD_OBJECTS: ObjectDef[] = [
  {
    name: 'Lead',
    label: 'Lead',
    labelPlural: 'Leads',
    keyPrefix: KEY_PREFIXES.Lead,
    writable: true,
    fields: [
      ...systemFields(true),
      ...personName(),
      field('Title', 'Title', 'string', { length: 128 }),
      field('Company', 'Company', 'string', { length: 255, required: true }),
      ...addressFields('', ''),
      field('Phone', 'Phone', 'phone'),
      field('MobilePhone', 'Mobile Phone', 'phone'),
      field('Email', 'Email', 'email', { idLookup: true }),
      field('Website', 'Website', 'url', { length: 255 }),
      field('Description', 'Description', 'textarea'),
      field('LeadSource', 'Lead Source', 'picklist', { picklistValues: LEAD_SOURCES }),
      field('Status', 'Status', 'picklist', {
        picklistValues: picklist(
          LEAD_STATUSES.map((s) => s.value),
          'Open - Not Contacted',
        ),
        restricted: true,
        defaultValue: 'Open - Not Contacted',
      }),
      field('Industry', 'Industry', 'picklist', { picklistValues: INDUSTRIES }),
      field('Rating', 'Rating', 'picklist', { picklistValues: picklist(['Hot', 'Warm', 'Cold']) }),
      field('AnnualRevenue', 'Annual Revenue', 'currency', { precision: 18, scale: 0 }),
      field('NumberOfEmployees', 'Employees', 'int', { precision: 8, scale: 0 }),
      field('HasOptedOutOfEmail', 'Email Opt Out', 'boolean', { defaultValue: false }),
      sys('IsConverted', 'Converted', 'boolean'),
      sys('ConvertedDate', 'Converted Date', 'date'),
      sys('ConvertedAccountId', 'Converted Account ID', 'reference', {
        referenceTo: ['Account'],
        relationshipName: 'ConvertedAccount',
        length: 18,
      }),
      sys('ConvertedContactId', 'Converted Contact ID', 'reference', {
        referenceTo: ['Contact'],
        relationshipName: 'ConvertedContact',
        length: 18,
      }),
      sys('ConvertedOpportunityId', 'Converted Opportunity ID', 'reference', {
        referenceTo: ['Opportunity'],
        relationshipName: 'ConvertedOpportunity',
        length: 18,
      }),
    ],
  },
  {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: KEY_PREFIXES.Contact,
    writable: true,
    fields: [
      ...systemFields(true),
      ...personName(),
      ref('AccountId', 'Account ID', 'Account', 'Account'),
      field('Title', 'Title', 'string', { length: 128 }),
      ...addressFields('Mailing', 'Mailing '),
      field('Phone', 'Business Phone', 'phone'),
      field('MobilePhone', 'Mobile Phone', 'phone'),
      field('Email', 'Email', 'email', { idLookup: true }),
      field('Birthdate', 'Birthdate', 'date'),
      field('Description', 'Contact Description', 'textarea'),
      field('LeadSource', 'Lead Source', 'picklist', { picklistValues: LEAD_SOURCES }),
      field('HasOptedOutOfEmail', 'Email Opt Out', 'boolean', { defaultValue: false }),
    ],
  },
  {
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: KEY_PREFIXES.Account,
    writable: true,
    fields: [
      ...systemFields(true),
      field('Name', 'Account Name', 'string', { required: true, idLookup: true }),
      field('Type', 'Account Type', 'picklist', {
        picklistValues: picklist(['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other']),
      }),
      ref('ParentId', 'Parent Account ID', 'Account', 'Parent'),
      ...addressFields('Billing', 'Billing '),
      field('Phone', 'Account Phone', 'phone'),
      field('Website', 'Website', 'url', { length: 255 }),
      field('Industry', 'Industry', 'picklist', { picklistValues: INDUSTRIES }),
      field('AnnualRevenue', 'Annual Revenue', 'currency', { precision: 18, scale: 0 }),
      field('NumberOfEmployees', 'Employees', 'int', { precision: 8, scale: 0 }),
      field('Description', 'Account Description', 'textarea'),
    ],
  },
  {
    name: 'Opportunity',
    label: 'Opportunity',
    labelPlural: 'Opportunities',
    keyPrefix: KEY_PREFIXES.Opportunity,
    writable: true,
    fields: [
      ...systemFields(true),
      field('Name', 'Name', 'string', { length: 120, required: true }),
      ref('AccountId', 'Account ID', 'Account', 'Account'),
      ref('CampaignId', 'Campaign ID', 'Campaign', 'Campaign'),
      field('StageName', 'Stage', 'picklist', {
        required: true,
        restricted: true,
        picklistValues: picklist(OPPORTUNITY_STAGES.map((s) => s.value)),
      }),
      field('CloseDate', 'Close Date', 'date', { required: true }),
      field('Amount', 'Amount', 'currency', { precision: 18, scale: 2 }),
      field('Probability', 'Probability (%)', 'percent', { precision: 3, scale: 0 }),
      field('Type', 'Opportunity Type', 'picklist', {
        picklistValues: picklist(['Existing Customer - Upgrade', 'New Customer']),
      }),
      field('LeadSource', 'Lead Source', 'picklist', { picklistValues: LEAD_SOURCES }),
      field('NextStep', 'Next Step', 'string'),
      field('Description', 'Description', 'textarea'),
      sys('IsClosed', 'Closed', 'boolean'),
      sys('IsWon', 'Won', 'boolean'),
    ],
  },
  {
    name: 'OpportunityContactRole',
    label: 'Opportunity Contact Role',
    labelPlural: 'Opportunity Contact Role',
    keyPrefix: KEY_PREFIXES.OpportunityContactRole,
    writable: true,
    fields: [
      ...systemFields(false),
      ref('OpportunityId', 'Opportunity ID', 'Opportunity', 'Opportunity', {
        required: true,
        updateable: false,
      }),
      ref('ContactId', 'Contact ID', 'Contact', 'Contact', { required: true }),
      field('Role', 'Role', 'picklist', {
        picklistValues: picklist([
          'Business User',
          'Decision Maker',
          'Economic Buyer',
          'Influencer',
          'Other',
        ]),
      }),
      field('IsPrimary', 'Primary', 'boolean', { defaultValue: false }),
    ],
  },
  {
    name: 'Campaign',
    label: 'Campaign',
    labelPlural: 'Campaigns',
    keyPrefix: KEY_PREFIXES.Campaign,
    writable: true,
    fields: [
      ...systemFields(true),
      field('Name', 'Name', 'string', { length: 80, required: true }),
      ref('ParentId', 'Parent Campaign ID', 'Campaign', 'Parent'),
      field('Type', 'Type', 'picklist', {
        picklistValues: picklist(['Conference', 'Webinar', 'Email', 'Referral Program', 'Other']),
      }),
      field('Status', 'Status', 'picklist', {
        picklistValues: picklist(['Planned', 'In Progress', 'Completed', 'Aborted'], 'Planned'),
        defaultValue: 'Planned',
      }),
      field('StartDate', 'Start Date', 'date'),
      field('EndDate', 'End Date', 'date'),
      field('IsActive', 'Active', 'boolean', { defaultValue: false }),
      field('Description', 'Description', 'textarea'),
    ],
  },
  {
    name: 'CampaignMember',
    label: 'Campaign Member',
    labelPlural: 'Campaign Members',
    keyPrefix: KEY_PREFIXES.CampaignMember,
    writable: true,
    fields: [
      ...systemFields(false),
      ref('CampaignId', 'Campaign ID', 'Campaign', 'Campaign', { required: true, updateable: false }),
      ref('LeadId', 'Lead ID', 'Lead', 'Lead', { updateable: false }),
      ref('ContactId', 'Contact ID', 'Contact', 'Contact', { updateable: false }),
      field('Status', 'Status', 'picklist', {
        picklistValues: picklist(['Sent', 'Responded'], 'Sent'),
        defaultValue: 'Sent',
      }),
      sys('HasResponded', 'Responded', 'boolean'),
    ],
  },
  {
    name: 'User',
    label: 'User',
    labelPlural: 'Users',
    keyPrefix: KEY_PREFIXES.User,
    writable: false,
    fields: [
      sys('Id', 'User ID', 'id', { length: 18, idLookup: true }),
      sys('Username', 'Username', 'string', { length: 80, idLookup: true }),
      sys('FirstName', 'First Name', 'string', { length: 40 }),
      sys('LastName', 'Last Name', 'string', { length: 80 }),
      sys('Name', 'Full Name', 'string', { length: 121 }),
      sys('Email', 'Email', 'email', { length: 128 }),
      sys('Alias', 'Alias', 'string', { length: 8 }),
      sys('IsActive', 'Active', 'boolean'),
      sys('CreatedDate', 'Created Date', 'datetime'),
      sys('LastModifiedDate', 'Last Modified Date', 'datetime'),
      sys('SystemModstamp', 'System Modstamp', 'datetime'),
    ],
  },
];
