import { Client } from '@hubspot/api-client';
import type { CrmSession, ProviderEndpoints } from '../types.ts';

/** Options of the HubSpot connector. */
export interface HubspotConnectorOptions {
  /**
   * The client's `numberOfApiCallRetries` (0–6). Despite its name it counts attempts: 2
   * means one retry, after 10 s for a TEN_SECONDLY_ROLLING 429 and 200 ms for a 5xx; 0 or 1
   * means none. Default: 2.
   */
  numberOfApiCallRetries?: number;
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
 * every group is therefore touched here, synchronously after construction, so no other
 * client built in between can swap this connection's retry policy.
 */
function apisFor(basePath: string, accessToken: string | undefined, attempts: number): HubspotApis {
  const client = new Client({
    basePath: trimBase(basePath),
    numberOfApiCallRetries: attempts,
    ...(accessToken === undefined ? {} : { accessToken }),
  });
  return {
    objects: client.crm.objects,
    properties: client.crm.properties.coreApi,
    deals: client.crm.deals.basicApi,
    pipelines: client.crm.pipelines.pipelinesApi,
    tokens: client.oauth.tokensApi,
    accessTokens: client.oauth.accessTokensApi,
  };
}

export function sessionApis(session: CrmSession, attempts: number): HubspotApis {
  return apisFor(session.endpoints.baseUrl, session.accessToken, attempts);
}

export function oauthApis(endpoints: ProviderEndpoints, attempts: number): HubspotApis {
  return apisFor(endpoints.baseUrl, undefined, attempts);
}
