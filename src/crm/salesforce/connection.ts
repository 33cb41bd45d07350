import { Connection, OAuth2 } from 'jsforce';
import { CrmError } from '../errors.ts';
import type { CrmSession, OAuthClient } from '../types.ts';
import { callError } from './call-errors.ts';
import type { ResolvedOptions } from './options.ts';
import { API_VERSION } from './provider.ts';

type Transport = Connection['_transport'];

/**
 * Makes every HTTP call of `transport` a single attempt with a bounded wait. jsforce retries
 * GETs answered 5xx five times over about 15 seconds and waits up to 30 minutes for an answer;
 * refsync's push jobs have their own retry schedule, and hidden retries would multiply it and
 * hold a worker through an outage. Redirects are not followed: refsync checks where a
 * connection may send its token before each call, and a redirect would go around that check.
 */
function singleAttempt(transport: Transport, timeoutMs: number): void {
  const send = transport.httpRequest.bind(transport);
  transport.httpRequest = (request, options = {}) =>
    send(request, { ...options, retry: { maxRetries: 0 }, timeout: timeoutMs, followRedirect: false });
}

/**
 * A jsforce Connection for one call, from the session refsync holds. It has no OAuth client,
 * so jsforce never refreshes by itself: a 401 reaches refsync, which refreshes, stores the new
 * token and tries again.
 */
export function openConnection(session: CrmSession, options: ResolvedOptions): Connection {
  if (session.instanceUrl === undefined) {
    throw new CrmError(
      'auth',
      'MISSING_INSTANCE_URL',
      'The connection has no Salesforce instance URL; reconnect it.',
    );
  }
  const conn = new Connection({
    instanceUrl: session.instanceUrl.replace(/\/$/, ''),
    accessToken: session.accessToken,
    version: API_VERSION,
  });
  singleAttempt(conn._transport, options.requestTimeoutMs);
  return conn;
}

export function oauthClient(loginUrl: string, client: OAuthClient, options: ResolvedOptions): OAuth2 {
  const oauth2 = new OAuth2({
    loginUrl: loginUrl.replace(/\/$/, ''),
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUri: client.redirectUri,
  });
  singleAttempt(oauth2._transport, options.requestTimeoutMs);
  return oauth2;
}

/** Runs one Salesforce call; any failure leaves as a CrmError. */
export async function salesforceCall<T>(options: ResolvedOptions, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw callError(error, options);
  }
}
