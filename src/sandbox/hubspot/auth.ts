import { errorBody, HubspotError } from './errors.ts';
import type { PortalState, StateKeeper } from './state.ts';

export type Credential =
  | { kind: 'private-app'; portal: PortalState }
  | { kind: 'oauth'; portal: PortalState; expiresAt: number; scopes: string[] };

const CREDENTIALS_NOT_FOUND =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

export function bearerOf(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? null;
}

/** Finds whose token this is, even when it has expired (faults still apply to its portal). */
export function findCredential(keeper: StateKeeper, token: string): Credential | null {
  for (const portal of keeper.state.portals) {
    if (portal.privateAppToken === token) return { kind: 'private-app', portal };
    const oauth = portal.accessTokens.find((candidate) => candidate.token === token);
    if (oauth !== undefined) {
      return { kind: 'oauth', portal, expiresAt: oauth.expiresAt, scopes: oauth.scopes };
    }
  }
  return null;
}

export function missingCredentials(): HubspotError {
  return new HubspotError(401, errorBody('INVALID_AUTHENTICATION', CREDENTIALS_NOT_FOUND));
}

/** The documented expiry body: how long ago, plus the expiry time in `context`. */
export function expiredToken(expiresAt: number, now: number): HubspotError {
  const ago = Math.max(1, Math.round((now - expiresAt) / 1000));
  return new HubspotError(
    401,
    errorBody(
      'EXPIRED_AUTHENTICATION',
      `The OAuth token used to make this call expired ${ago} second(s) ago.`,
      {
        context: { 'expire time': [new Date(expiresAt).toISOString()] },
      },
    ),
  );
}

/** Drops OAuth tokens long past expiry so the state file does not grow without end. */
export function pruneTokens(portal: PortalState, now: number): void {
  const day = 24 * 3600_000;
  portal.accessTokens = portal.accessTokens.filter((token) => token.expiresAt > now - day);
  portal.authCodes = portal.authCodes.filter((code) => code.expiresAt > now);
}
