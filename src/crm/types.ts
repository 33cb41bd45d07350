import type { CrmError } from './errors.ts';
import type { CrmHooks } from './hooks.ts';
import type { Provider } from './registry.ts';

export type { Provider } from './registry.ts';

/** Where a connection talks to: the real service by default, a sandbox CRM in tests. */
export interface ProviderEndpoints {
  /** Salesforce: login URL (OAuth). HubSpot: API base (replaces https://api.hubapi.com). */
  baseUrl: string;
  /** Where the person consents. Salesforce: same as baseUrl. HubSpot: https://app.hubspot.com. */
  authorizeBaseUrl: string;
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface TokenSet {
  accessToken: string;
  /** Absent on a refresh that did not rotate it. */
  refreshToken: string | undefined;
  /** When the access token stops working; undefined when the CRM does not say. */
  expiresAt: Date | undefined;
  /** Salesforce: the org's instance URL; HubSpot: undefined. */
  instanceUrl: string | undefined;
}

export interface ConnectedAccount {
  /** Salesforce org ID (18 chars) or HubSpot portal (hub) ID. */
  accountId: string;
  userId: string | undefined;
  /** Salesforce: the signed identity URL the org and user were read from. */
  identityUrl?: string | undefined;
}

/** What a connector needs for one call: where to go and the current access token. */
export interface CrmSession {
  endpoints: ProviderEndpoints;
  accessToken: string;
  instanceUrl: string | undefined;
  accountId: string;
}

export type CrmFieldType =
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'number'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'picklist'
  | 'id'
  | 'reference'
  | 'other';

export interface CrmField {
  name: string;
  label: string;
  type: CrmFieldType;
  /** Must be given on create (Salesforce: not nillable, no default, createable). */
  required: boolean;
  createable: boolean;
  updateable: boolean;
  custom: boolean;
  /**
   * The values the field takes when the CRM holds it to a list (Salesforce picklist values,
   * HubSpot enumeration options and deal pipeline stages); absent for free fields.
   */
  options?: CrmFieldOption[] | undefined;
}

/** One value of a listed field: `value` is what records hold, `label` what people see. */
export interface CrmFieldOption {
  value: string;
  label: string;
  /** Where the value belongs when the CRM groups them (a HubSpot deal stage's pipeline). */
  group?: string | undefined;
}

/** A record found by a person's search (the dry run's record picker). */
export interface CrmRecordMatch {
  id: string;
  /** What people call it: a person's name, a deal or account name. */
  label: string;
  email: string | null;
}

/** A campaign a push may add records to. */
export interface CrmCampaign {
  id: string;
  name: string;
  status?: string | undefined;
}

/** A record found in the CRM, with the values refsync asked for. */
export interface CrmRecord {
  id: string;
  object: string;
  createdAt: Date | undefined;
  values: Record<string, unknown>;
  /** Salesforce Lead: converted, and the Contact it became. */
  convertedContactId?: string | undefined;
  /** When the CRM last changed the record (Salesforce SystemModstamp, HubSpot last-modified date). */
  modifiedAt?: Date | undefined;
}

export type WriteOutcome = { ok: true; id: string } | { ok: false; error: CrmError };

export interface NewField {
  name: string;
  label: string;
  type: 'string' | 'textarea' | 'url';
}

export interface DealInput {
  pipeline: string;
  stage: string;
  name: string;
  contactId: string;
}

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
 * What generic code needs to know about a CRM's objects, as data: the sales receiver reads
 * events and settings through it, the push engine follows converted records with it.
 */
export interface ProviderObjects {
  /** Known objects by lower-case alias (the spellings events and people use). */
  aliases: Readonly<Record<string, string>>;
  /** How people see the known objects named (`Opportunity` → "Opportunity", `deals` → "Deals"). */
  labels: Readonly<Record<string, string>>;
  /** Person objects, most specific first (the record a referral became comes first). */
  people: readonly string[];
  /** The object a person's company lives on, and the field holding its name. */
  account: string | undefined;
  accountName: string | undefined;
  personFields: Readonly<Record<string, PersonFields>>;
  /** Objects any other object can be related to (the relationship table). */
  relatable: readonly string[];
  /** Objects the catch-up poll reads, in the order it reads them. */
  polled: readonly string[];
  /**
   * How receiver settings may name an object: `known` allows only `relatable` objects; a
   * pattern allows any name it matches, described as `description` when one does not; `any`
   * allows every name.
   */
  names: { kind: 'known' } | { kind: 'pattern'; pattern: RegExp; description: string } | { kind: 'any' };
  /** Field API names compare without regard to case (`email` is `Email`). */
  caseInsensitiveFields: boolean;
  /** The object a converted Lead lives on as (`convertedContactId`); undefined when none. */
  convertedTo: string | undefined;
}

/** How the CRM and one of its accounts are named to people. */
export interface ProviderNames {
  /** The CRM: "Salesforce". */
  crm: string;
  /** One connected account: "Salesforce org", "HubSpot portal". */
  account: string;
}

/**
 * One CRM behind one interface. Methods taking lists do the batching the CRM allows
 * (Salesforce collections of 200, HubSpot batches of 100) and return one outcome per input,
 * in input order; a call-level failure (auth, rate limit, outage) throws a CrmError.
 */
export interface CrmConnector<P extends string = Provider> {
  provider: P;
  names: ProviderNames;
  objects: ProviderObjects;
  /** Host names of the real service (a host is theirs when it equals or ends in `.<suffix>`). */
  realHosts: { base: readonly string[]; instance: readonly string[] };
  /** Two records may share an email (the `create_duplicate` policy can be honoured). */
  allowsDuplicateEmails: boolean;
  /** Where the CRM delivers events (mounted by the sales receiver); undefined when it cannot. */
  hooks?: CrmHooks;
  defaultEndpoints: ProviderEndpoints;
  /** The objects referrals and members can be pushed as (e.g. Lead, Contact / contacts). */
  pushObjects: readonly string[];
  /** The fields a push always fills from the referral (name, email, company). */
  standardMappings(object: string): Array<{ crmField: string; from: string }>;
  /** Suggested names of the fields refsync always writes (`referralId`, `source`, ...). */
  systemFieldNames(object: string): Record<SystemField, string>;
  /** Largest list one batched call takes. */
  batchSize: number;

  authorizeUrl(endpoints: ProviderEndpoints, client: OAuthClient, state: string): string;
  exchangeCode(
    endpoints: ProviderEndpoints,
    client: OAuthClient,
    code: string,
  ): Promise<{ tokens: TokenSet; account: ConnectedAccount }>;
  refresh(endpoints: ProviderEndpoints, client: OAuthClient, refreshToken: string): Promise<TokenSet>;

  describe(session: CrmSession, object: string): Promise<CrmField[]>;
  createField(session: CrmSession, object: string, field: NewField): Promise<void>;
  /** Records whose `field` equals one of `values` (emails matched case-insensitively). */
  findBy(
    session: CrmSession,
    object: string,
    field: string,
    values: string[],
    fields: string[],
  ): Promise<CrmRecord[]>;
  create(
    session: CrmSession,
    object: string,
    records: Array<Record<string, unknown>>,
    options: { allowDuplicates: boolean },
  ): Promise<WriteOutcome[]>;
  update(
    session: CrmSession,
    object: string,
    updates: Array<{ id: string; values: Record<string, unknown> }>,
  ): Promise<WriteOutcome[]>;
  /** Salesforce CampaignMember; undefined where the CRM has no campaigns. */
  addToCampaign?(
    session: CrmSession,
    campaignId: string,
    object: string,
    recordId: string,
  ): Promise<WriteOutcome>;
  /** Campaigns whose name holds `query` (all when empty), at most `limit`; undefined where the CRM has none. */
  campaigns?(session: CrmSession, query: string, limit: number): Promise<CrmCampaign[]>;
  /**
   * Records of `object` a person looks for: by ID when `query` looks like one, else by email
   * or name; at most `limit`. Values are escaped the way `findBy` escapes them.
   */
  searchRecords?(
    session: CrmSession,
    object: string,
    query: string,
    limit: number,
  ): Promise<CrmRecordMatch[]>;
  /** HubSpot deal associated with the contact; undefined where not supported. */
  createDeal?(session: CrmSession, deal: DealInput): Promise<WriteOutcome>;
  /** A link a person can open to see the record. */
  recordUrl(session: CrmSession, object: string, id: string): string;
  /**
   * Sales receiver catch-up: records of `object` modified after `since`, oldest change first,
   * with `fields`, `createdAt` and `modifiedAt`. About `limit` records per call (a run of
   * records sharing the last modification time is never split, so a few more can come); when
   * more may follow, `nextSince` is where the next call starts. A record can come again at
   * the same modification time (CRM clock precision): callers deduplicate on id and time.
   */
  modifiedSince?(
    session: CrmSession,
    object: string,
    since: Date,
    fields: string[],
    limit: number,
  ): Promise<{ records: CrmRecord[]; nextSince: Date | undefined }>;
  /** Sales receiver: one record with the fields asked for; undefined when there is none. */
  getRecord?(
    session: CrmSession,
    object: string,
    id: string,
    fields: string[],
  ): Promise<CrmRecord | undefined>;
  /** Sales receiver: records of `toObject` linked to one record (at most `limit`). */
  related?(
    session: CrmSession,
    object: string,
    id: string,
    toObject: string,
    fields: string[],
    limit: number,
  ): Promise<CrmRecord[]>;
  /** Sales receiver, for a batch of entries: `getRecord` for many records of one object at once. */
  getRecords?(session: CrmSession, object: string, ids: string[], fields: string[]): Promise<CrmRecord[]>;
  /**
   * Sales receiver, for a batch of entries: `related` for many records of one object at once
   * (one query per object, not per record), by the IDs given, at most `limit` per record.
   */
  relatedMany?(
    session: CrmSession,
    object: string,
    ids: string[],
    toObject: string,
    fields: string[],
    limit: number,
  ): Promise<Map<string, CrmRecord[]>>;
}

export const systemFields = ['referralId', 'source', 'sourceNote', 'referralUrl', 'memberUrl'] as const;
export type SystemField = (typeof systemFields)[number];
