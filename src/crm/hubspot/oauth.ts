import { CrmError } from '../errors.ts';
import type { ConnectedAccount, OAuthClient, ProviderEndpoints, TokenSet } from '../types.ts';
import { oauthApis } from './client.ts';
import { hubspotCall } from './errors.ts';
import { OAUTH_SCOPES } from './facts.ts';

/**
 * HubSpot's OAuth v1: consent at `<app host>/oauth/authorize`, token grants at
 * `<api host>/oauth/v1/token`, and the token info endpoint for the hub (portal) ID.
 */

export function authorizeUrl(endpoints: ProviderEndpoints, client: OAuthClient, state: string): string {
  const query = [
    ['client_id', client.clientId],
    ['redirect_uri', client.redirectUri],
    ['scope', OAUTH_SCOPES.join(' ')],
    ['state', state],
  ]
    // HubSpot documents scopes separated by %20; URLSearchParams would write `+`.
    .map(([name, value]) => `${name}=${encodeURIComponent(value ?? '')}`)
    .join('&');
  return `${endpoints.authorizeBaseUrl.replace(/\/+$/, '')}/oauth/authorize?${query}`;
}

interface TokenAnswer {
  accessToken: string;
  refreshToken?: string | undefined;
  expiresIn?: number | undefined;
}

function tokenSet(answer: TokenAnswer, previousRefreshToken: string | undefined, issuedAt: number): TokenSet {
  const expiresIn = Number(answer.expiresIn);
  return {
    accessToken: answer.accessToken,
    refreshToken:
      typeof answer.refreshToken === 'string' && answer.refreshToken !== ''
        ? answer.refreshToken
        : previousRefreshToken,
    expiresAt:
      Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(issuedAt + expiresIn * 1000) : undefined,
    instanceUrl: undefined,
  };
}

export async function exchangeCode(
  endpoints: ProviderEndpoints,
  client: OAuthClient,
  code: string,
  attempts: number,
): Promise<{ tokens: TokenSet; account: ConnectedAccount }> {
  const apis = oauthApis(endpoints, attempts);
  const issuedAt = Date.now();
  const answer = await hubspotCall(
    () =>
      apis.tokens.create(
        'authorization_code',
        code,
        client.redirectUri,
        client.clientId,
        client.clientSecret,
      ),
    { tokenEndpoint: true },
  );
  const tokens = tokenSet(answer, undefined, issuedAt);
  // The token answer does not say which portal consented; the token info of the same
  // (allowed) HubSpot does, and only for this very token.
  const info = await hubspotCall(() => apis.accessTokens.get(tokens.accessToken));
  if (info.token !== tokens.accessToken || !Number.isSafeInteger(info.hubId) || info.hubId <= 0) {
    throw new CrmError(
      'auth',
      'UNVERIFIED_PORTAL',
      'The access token info does not describe the token just issued, or names no portal.',
    );
  }
  return {
    tokens,
    account: {
      accountId: String(info.hubId),
      userId: info.userId === undefined || info.userId === null ? undefined : String(info.userId),
    },
  };
}

export async function refresh(
  endpoints: ProviderEndpoints,
  client: OAuthClient,
  refreshToken: string,
  attempts: number,
): Promise<TokenSet> {
  const apis = oauthApis(endpoints, attempts);
  const issuedAt = Date.now();
  const answer = await hubspotCall(
    () =>
      apis.tokens.create(
        'refresh_token',
        undefined,
        client.redirectUri,
        client.clientId,
        client.clientSecret,
        refreshToken,
      ),
    { tokenEndpoint: true },
  );
  // HubSpot refresh tokens do not rotate today; keep the one we have if none comes back.
  return tokenSet(answer, refreshToken, issuedAt);
}
