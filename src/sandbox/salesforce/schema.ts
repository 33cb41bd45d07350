import { STANDARD_OBJECTS } from './standard-objects.ts';

/** Salesforce field types this sandbox knows, as `describe` names them. */
export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'picklist'
  | 'boolean'
  | 'double'
  | 'currency'
  | 'percent'
  | 'int'
  | 'date'
  | 'datetime'
  | 'reference';

export interface PicklistValue {
  value: string;
  label: string;
  default?: boolean;
}

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length?: number;
  /** Required on create (and cannot be set to null). */
  required?: boolean;
  createable: boolean;
  updateable: boolean;
  custom: boolean;
  externalId?: boolean;
  idLookup?: boolean;
  unique?: boolean;
  picklistValues?: PicklistValue[];
  /** A restricted picklist rejects values outside its list. */
  restricted?: boolean;
  referenceTo?: string[];
  relationshipName?: string;
  precision?: number;
  scale?: number;
  defaultValue?: string | number | boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  fields: FieldDef[];
  /** Whether the sandbox lets API clients create/update/delete it (User is read-only). */
  writable: boolean;
}

export const OBJECT_NAMES = STANDARD_OBJECTS.map((o) => o.name);

/** Standard object definition by name, ignoring case the way Salesforce resolves types. */
export function standardObject(name: string): ObjectDef | undefined {
  const lower = name.toLowerCase();
  return STANDARD_OBJECTS.find((o) => o.name.toLowerCase() === lower);
}

export function objectByPrefix(prefix: string): ObjectDef | undefined {
  return STANDARD_OBJECTS.find((o) => o.keyPrefix === prefix);
}

export interface ChildRelationship {
  parent: string;
  relationshipName: string;
  child: string;
  field: string;
}

/** Child relationships SOQL subqueries can follow, e.g. `(SELECT Id FROM Contacts)` on Account. */
export const CHILD_RELATIONSHIPS: ChildRelationship[] = [
  { parent: 'Account', relationshipName: 'Contacts', child: 'Contact', field: 'AccountId' },
  { parent: 'Account', relationshipName: 'Opportunities', child: 'Opportunity', field: 'AccountId' },
  { parent: 'Account', relationshipName: 'ChildAccounts', child: 'Account', field: 'ParentId' },
  {
    parent: 'Opportunity',
    relationshipName: 'OpportunityContactRoles',
    child: 'OpportunityContactRole',
    field: 'OpportunityId',
  },
  {
    parent: 'Contact',
    relationshipName: 'OpportunityContactRoles',
    child: 'OpportunityContactRole',
    field: 'ContactId',
  },
  { parent: 'Contact', relationshipName: 'CampaignMembers', child: 'CampaignMember', field: 'ContactId' },
  { parent: 'Lead', relationshipName: 'CampaignMembers', child: 'CampaignMember', field: 'LeadId' },
  { parent: 'Campaign', relationshipName: 'CampaignMembers', child: 'CampaignMember', field: 'CampaignId' },
  { parent: 'Campaign', relationshipName: 'Opportunities', child: 'Opportunity', field: 'CampaignId' },
  { parent: 'Campaign', relationshipName: 'ChildCampaigns', child: 'Campaign', field: 'ParentId' },
];
