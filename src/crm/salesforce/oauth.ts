import type { TokenResponse } from 'jsforce';
import { CrmError } from '../errors.ts';
import type { ConnectedAccount, OAuthClient, ProviderEndpoints, TokenSet } from '../types.ts';
import { tokenError } from './call-errors.ts';
import { oauthClient } from './connection.ts';
import type { ResolvedOptions } from './options.ts';
import { OAUTH_SCOPES } from './provider.ts';

export function authorizeUrl(
  endpoints: ProviderEndpoints,
  client: OAuthClient,
  state: string,
  options: ResolvedOptions,
): string {
  return oauthClient(endpoints.authorizeBaseUrl, client, options).getAuthorizationUrl({
    scope: OAUTH_SCOPES.join(' '),
    state,
  });
}

async function requestTokens(work: () => Promise<TokenResponse>): Promise<TokenResponse> {
  let answer: unknown;
  try {
    answer = await work();
  } catch (error) {
    throw tokenError(error);
  }
  const fields = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
  if (typeof fields.access_token !== 'string' || typeof fields.instance_url !== 'string') {
    throw new CrmError(
      'unavailable',
      'UNEXPECTED_RESPONSE',
      'The token answer has no access_token or instance_url.',
    );
  }
  return answer as TokenResponse;
}

/**
 * Salesforce gives no lifetime: the token lasts as long as the org's session timeout, so the
 * expiry is `issued_at` (epoch ms as a string) plus the assumed session lifetime.
 */
function tokenSet(
  answer: TokenResponse,
  refreshToken: string | undefined,
  options: ResolvedOptions,
): TokenSet {
  const issuedAt = Number(answer.issued_at);
  const from = Number.isFinite(issuedAt) && issuedAt > 0 ? issuedAt : Date.now();
  return {
    accessToken: answer.access_token,
    refreshToken,
    expiresAt: new Date(from + options.sessionLifetimeMs),
    instanceUrl: answer.instance_url.replace(/\/$/, ''),
  };
}

/** The identity URL ends in `/<orgId>/<userId>` (what jsforce itself reads). */
function accountOf(identityUrl: unknown): ConnectedAccount {
  const parts = typeof identityUrl === 'string' ? identityUrl.replace(/\/$/, '').split('/') : [];
  const [orgId, userId] = parts.slice(-2);
  if (parts.length < 2 || !orgId || !userId) {
    throw new CrmError(
      'unavailable',
      'UNEXPECTED_RESPONSE',
      'The token answer has no identity URL ending in the org and user IDs.',
    );
  }
  return { accountId: orgId, userId };
}

export async function exchangeCode(
  endpoints: ProviderEndpoints,
  client: OAuthClient,
  code: string,
  options: ResolvedOptions,
): Promise<{ tokens: TokenSet; account: ConnectedAccount }> {
  const oauth2 = oauthClient(endpoints.baseUrl, client, options);
  const answer = await requestTokens(() => oauth2.requestToken(code));
  return { tokens: tokenSet(answer, answer.refresh_token, options), account: accountOf(answer.id) };
}

/** Salesforce does not rotate refresh tokens unless the app asks it to: keep the old one then. */
export async function refresh(
  endpoints: ProviderEndpoints,
  client: OAuthClient,
  refreshToken: string,
  options: ResolvedOptions,
): Promise<TokenSet> {
  const oauth2 = oauthClient(endpoints.baseUrl, client, options);
  const answer = await requestTokens(() => oauth2.refreshToken(refreshToken));
  return tokenSet(answer, answer.refresh_token ?? refreshToken, options);
}
