import { Client } from '@hubspot/api-client';
import type { CrmSession, ProviderEndpoints } from '../types.ts';
import { paced, portalPacers } from './pacing.ts';

/** Options of the HubSpot connector. */
export interface HubspotConnectorOptions {
  /**
   * The client's `numberOfApiCallRetries` (0–6). Despite its name it counts attempts: 2
   * means one retry, after 10 s for a TEN_SECONDLY_ROLLING 429 and 200 ms for a 5xx; 0 or 1
   * means none. Default: 2.
   */
  numberOfApiCallRetries?: number;
  /**
   * Whether API calls wait for room under the portal's rate limit (src/crm/hubspot/pacing.ts)
   * instead of running into 429s. Default: true.
   */
  pacing?: boolean;
}

/** How each API call of a connector is made: the client's attempts, and pacing. */
export interface CallOptions {
  attempts: number;
  pacing: boolean;
}

/** The parts of the client the connector uses, bound to one connection. */
export interface HubspotApis {
  objects: Client['crm']['objects'];
  properties: Client['crm']['properties']['coreApi'];
  deals: Client['crm']['deals']['basicApi'];
  pipelines: Client['crm']['pipelines']['pipelinesApi'];
  tokens: Client['oauth']['tokensApi'];
  accessTokens: Client['oauth']['accessTokensApi'];
}

function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * A client for one call. The client keeps its retry decorators in a process-wide singleton
 * that each `new Client` overwrites, and applies them when an API group is first touched;
 * every caller therefore touches its groups synchronously after construction (`apisOf`), so
 * no other client built in between can swap this connection's retry policy.
 */
function clientFor(basePath: string, accessToken: string | undefined, call: CallOptions) {
  const base = trimBase(basePath);
  return new Client({
    basePath: base,
    numberOfApiCallRetries: call.attempts,
    ...(accessToken === undefined ? {} : { accessToken }),
  });
}

function apisOf(client: Client): HubspotApis {
  return {
    objects: client.crm.objects,
    properties: client.crm.properties.coreApi,
    deals: client.crm.deals.basicApi,
    pipelines: client.crm.pipelines.pipelinesApi,
    tokens: client.oauth.tokensApi,
    accessTokens: client.oauth.accessTokensApi,
  };
}

/** A client for one call on a connection's portal; `pacedFor` its API objects. */
export function sessionClient(session: CrmSession, call: CallOptions): Client {
  return clientFor(session.endpoints.baseUrl, session.accessToken, call);
}

/** The API object with its calls paced under the portal's limit, unless pacing is off. */
export function pacedFor<T extends object>(session: CrmSession, call: CallOptions, api: T): T {
  return call.pacing ? paced(api, portalPacers(session.endpoints.baseUrl, session.accountId)) : api;
}

/** The API objects for one call on a connection's portal. The token endpoints are not paced. */
export function sessionApis(session: CrmSession, call: CallOptions): HubspotApis {
  return pacedFor(session, call, apisOf(sessionClient(session, call)));
}

export function oauthApis(endpoints: ProviderEndpoints, attempts: number): HubspotApis {
  return apisOf(clientFor(endpoints.baseUrl, undefined, { attempts, pacing: false }));
}
