import { createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * Salesforce signs every token answer: `signature` is Base64(HMAC-SHA256(client secret,
 * id + issued_at)). Only the real token endpoint (or one that knows the secret) can sign, so
 * the identity URL, and the org it names, is trusted only once the signature matches.
 */
function verifySignature(fields: Record<string, unknown>, clientSecret: string): void {
  const { id, issued_at: issuedAt, signature } = fields;
  if (typeof id !== 'string' || typeof issuedAt !== 'string' || typeof signature !== 'string') {
    throw new CrmError(
      'auth',
      'INVALID_SIGNATURE',
      'The token answer has no id, issued_at or signature to verify.',
    );
  }
  const expected = createHmac('sha256', clientSecret)
    .update(id + issuedAt)
    .digest();
  const given = Buffer.from(signature, 'base64');
  // Compare decoded bytes so a signature in another base64 spelling is not misread as bad.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new CrmError(
      'auth',
      'INVALID_SIGNATURE',
      'The signature of the token answer does not match: it was not signed with the client secret of this app.',
    );
  }
}

async function requestTokens(
  work: () => Promise<TokenResponse>,
  clientSecret: string,
): Promise<TokenResponse> {
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
  verifySignature(fields, clientSecret);
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

const orgIdPattern = /^00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;
const userIdPattern = /^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;

/** The verified identity URL ends in `/id/<orgId>/<userId>` (what jsforce itself reads). */
function accountOf(identityUrl: unknown): ConnectedAccount {
  const parts = typeof identityUrl === 'string' ? identityUrl.replace(/\/$/, '').split('/') : [];
  const [marker, orgId, userId] = parts.slice(-3);
  if (marker !== 'id' || !orgId || !userId || !orgIdPattern.test(orgId) || !userIdPattern.test(userId)) {
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
  const answer = await requestTokens(() => oauth2.requestToken(code), client.clientSecret);
  return {
    tokens: tokenSet(answer, answer.refresh_token, options),
    account: { ...accountOf(answer.id), identityUrl: answer.id },
  };
}

/** Salesforce does not rotate refresh tokens unless the app asks it to: keep the old one then. */
export async function refresh(
  endpoints: ProviderEndpoints,
  client: OAuthClient,
  refreshToken: string,
  options: ResolvedOptions,
): Promise<TokenSet> {
  const oauth2 = oauthClient(endpoints.baseUrl, client, options);
  const answer = await requestTokens(() => oauth2.refreshToken(refreshToken), client.clientSecret);
  return tokenSet(answer, answer.refresh_token ?? refreshToken, options);
}
