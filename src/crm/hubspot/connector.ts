import type { CrmConnector } from '../types.ts';
import type { HubspotConnectorOptions } from './client.ts';
import { createDeal } from './deals.ts';
import {
  DEFAULT_API_CALL_ATTEMPTS,
  HUBSPOT_ENDPOINTS,
  LIMITS,
  MAX_API_CALL_ATTEMPTS,
  PUSH_OBJECTS,
  STANDARD_MAPPINGS,
  SYSTEM_FIELD_NAMES,
} from './facts.ts';
import { findBy } from './find.ts';
import { hubspotHooks } from './hooks/index.ts';
import { modifiedSinceWith } from './modified.ts';
import { authorizeUrl, exchangeCode, refresh } from './oauth.ts';
import { NAMES, OBJECTS, REAL_HOSTS } from './objects.ts';
import { createField, describe } from './properties.ts';
import { recordUrl } from './record-url.ts';
import * as receiverReads from './related.ts';
import { searchRecords } from './search.ts';
import { create, update } from './write.ts';

export type { HubspotConnectorOptions } from './client.ts';

/** HubSpot behind the CrmConnector interface, through `@hubspot/api-client`. */
export function createHubspotConnector(options: HubspotConnectorOptions = {}): CrmConnector<'hubspot'> {
  const attempts = options.numberOfApiCallRetries ?? DEFAULT_API_CALL_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > MAX_API_CALL_ATTEMPTS) {
    throw new RangeError(`numberOfApiCallRetries must be an integer from 0 to ${MAX_API_CALL_ATTEMPTS}`);
  }
  const call = { attempts, pacing: options.pacing ?? true };
  return {
    provider: 'hubspot',
    names: NAMES,
    objects: OBJECTS,
    realHosts: REAL_HOSTS,
    // One contact per email whatever the caller wants (see `create` below).
    allowsDuplicateEmails: false,
    hooks: hubspotHooks,
    defaultEndpoints: HUBSPOT_ENDPOINTS,
    pushObjects: PUSH_OBJECTS,
    standardMappings: (object) => (STANDARD_MAPPINGS[object] ?? []).map((mapping) => ({ ...mapping })),
    systemFieldNames: () => ({ ...SYSTEM_FIELD_NAMES }),
    batchSize: LIMITS.batchInputs,

    authorizeUrl,
    exchangeCode: (endpoints, client, code) => exchangeCode(endpoints, client, code, attempts),
    refresh: (endpoints, client, refreshToken) => refresh(endpoints, client, refreshToken, attempts),

    describe: (session, object) => describe(session, object, call),
    createField: (session, object, field) => createField(session, object, field, call),
    findBy: (session, object, field, values, fields) => findBy(session, object, field, values, fields, call),
    // HubSpot allows one contact per email whatever the caller wants: `allowDuplicates`
    // cannot be honoured, and a duplicate comes back as its record's `duplicate` outcome.
    create: (session, object, records) => create(session, object, records, call),
    update: (session, object, updates) => update(session, object, updates, call),
    createDeal: (session, deal) => createDeal(session, deal, call),
    searchRecords: (session, object, query, limit) => searchRecords(session, object, query, limit, call),
    recordUrl,
    modifiedSince: modifiedSinceWith(call),
    getRecord: (session, object, id, fields) => receiverReads.getRecord(session, object, id, fields, call),
    related: (session, object, id, to, fields, limit) =>
      receiverReads.related(session, object, id, to, fields, limit, call),
  };
}

export const hubspotConnector = createHubspotConnector();
