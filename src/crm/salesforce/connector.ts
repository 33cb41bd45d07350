import type { CrmConnector } from '../types.ts';
import { createField, describe } from './fields.ts';
import { salesforceHooks } from './hooks/index.ts';
import { modifiedSinceWith } from './modified.ts';
import { authorizeUrl, exchangeCode, refresh } from './oauth.ts';
import { NAMES, OBJECTS, REAL_HOSTS } from './objects.ts';
import { resolveOptions, type SalesforceConnectorOptions } from './options.ts';
import {
  DEFAULT_ENDPOINTS,
  MAX_RECORDS_PER_COLLECTION,
  PUSH_OBJECTS,
  STANDARD_MAPPINGS,
  SYSTEM_FIELD_NAMES,
} from './provider.ts';
import { findBy } from './query.ts';
import { recordUrl } from './record-url.ts';
import * as receiverReads from './related.ts';
import { campaigns, searchRecords } from './search.ts';
import { addToCampaign, create, update } from './writes.ts';

export type { SalesforceConnectorOptions } from './options.ts';

/**
 * Salesforce behind refsync's connector interface, through jsforce. Every call opens a
 * Connection from the session refsync passes in (no token refresh inside jsforce, no hidden
 * retries), and every failure leaves as a CrmError: call-level ones thrown, per-record ones
 * as outcomes.
 */
export function createSalesforceConnector(
  settings: SalesforceConnectorOptions = {},
): CrmConnector<'salesforce'> {
  const options = resolveOptions(settings);
  return {
    provider: 'salesforce',
    names: NAMES,
    objects: OBJECTS,
    realHosts: REAL_HOSTS,
    allowsDuplicateEmails: true,
    hooks: salesforceHooks,
    defaultEndpoints: DEFAULT_ENDPOINTS,
    pushObjects: PUSH_OBJECTS,
    standardMappings: (object) => (STANDARD_MAPPINGS[object] ?? []).map((mapping) => ({ ...mapping })),
    systemFieldNames: () => ({ ...SYSTEM_FIELD_NAMES }),
    batchSize: MAX_RECORDS_PER_COLLECTION,

    authorizeUrl: (endpoints, client, state) => authorizeUrl(endpoints, client, state, options),
    exchangeCode: (endpoints, client, code) => exchangeCode(endpoints, client, code, options),
    refresh: (endpoints, client, refreshToken) => refresh(endpoints, client, refreshToken, options),

    describe: (session, object) => describe(session, object, options),
    createField: (session, object, field) => createField(session, object, field, options),
    findBy: (session, object, field, values, fields) =>
      findBy(session, object, field, values, fields, options),
    create: (session, object, records, { allowDuplicates }) =>
      create(session, object, records, allowDuplicates, options),
    update: (session, object, updates) => update(session, object, updates, options),
    addToCampaign: (session, campaignId, object, recordId) =>
      addToCampaign(session, campaignId, object, recordId, options),
    campaigns: (session, query, limit) => campaigns(session, query, limit, options),
    searchRecords: (session, object, query, limit) => searchRecords(session, object, query, limit, options),
    recordUrl,
    modifiedSince: modifiedSinceWith(options),
    getRecord: (session, object, id, fields) => receiverReads.getRecord(session, object, id, fields, options),
    related: (session, object, id, to, fields, limit) =>
      receiverReads.related(session, object, id, to, fields, limit, options),
    getRecords: (session, object, ids, fields) =>
      receiverReads.getRecords(session, object, ids, fields, options),
    relatedMany: (session, object, ids, to, fields, limit) =>
      receiverReads.relatedMany(session, object, ids, to, fields, limit, options),
  };
}

export const salesforceConnector = createSalesforceConnector();
