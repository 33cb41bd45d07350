import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { pruneTokens } from './auth.ts';
import { type HubspotContext, sendJson, sendNoContent } from './context.ts';
import { errorBody, HubspotError } from './errors.ts';
import { DEFAULT_SCOPES, DEFAULTS } from './facts.ts';
import { applyFaults } from './faults.ts';
import { html, page } from './html.ts';
import { newAccessToken, newAuthCode, newRefreshToken } from './portals.ts';
import type { PortalState } from './state.ts';

/**
 * OAuth 2.0 as HubSpot's v1 endpoints speak it: consent page, authorization code, refresh
 * token grant (refresh tokens do not rotate) and token introspection.
 */

type Fields = Record<string, unknown>;

function field(body: Fields | undefined, name: string): string | undefined {
  const value = body?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Token endpoint errors use their own `status` codes rather than `'error'`. */
function tokenError(status: string, message: string, oauthError = 'invalid_grant'): HubspotError {
  return new HubspotError(400, {
    status,
    message,
    correlationId: randomUUID(),
    error: oauthError,
    error_description: message,
  });
}

function scopesOf(text: string | undefined): string[] {
  if (text === undefined) return DEFAULT_SCOPES;
  const scopes = text.split(/[\s+]+/).filter(Boolean);
  return scopes.length > 0 ? scopes : DEFAULT_SCOPES;
}

function redirectAllowed(portal: PortalState, redirectUri: string): boolean {
  return portal.settings.redirectUris.length === 0 || portal.settings.redirectUris.includes(redirectUri);
}

function issueTokens(context: HubspotContext, portal: PortalState, refreshToken: string, scopes: string[]) {
  const now = Date.now();
  const lifetime = portal.settings.tokenLifetimeSeconds;
  const accessToken = newAccessToken();
  pruneTokens(portal, now);
  portal.accessTokens.push({ token: accessToken, refreshToken, scopes, expiresAt: now + lifetime * 1000 });
  context.keeper.changed();
  return {
    token_type: 'bearer',
    refresh_token: refreshToken,
    access_token: accessToken,
    expires_in: lifetime,
  };
}

function htmlError(reply: FastifyReply, message: string): FastifyReply {
  const body = html`<h1>Authorization failed</h1><p class="error">${message}</p>`;
  return reply.code(400).type('text/html; charset=utf-8').send(page('Authorization failed', body));
}

export function registerOAuthRoutes(app: FastifyInstance, context: HubspotContext): void {
  const { keeper } = context;
  const byClientId = (clientId: string | undefined) =>
    clientId === undefined ? undefined : keeper.state.portals.find((portal) => portal.clientId === clientId);
  /** The app and redirect URI an authorize call names, or why the page cannot go on. */
  const authorizeTarget = (fields: Fields | undefined) => {
    const portal = byClientId(field(fields, 'client_id'));
    const redirectUri = field(fields, 'redirect_uri');
    if (portal === undefined) return 'Unknown client_id.';
    if (redirectUri === undefined || !redirectAllowed(portal, redirectUri)) {
      return 'The redirect_uri is missing or not allowed for this app.';
    }
    return { portal, redirectUri };
  };

  app.get<{ Querystring: Fields }>('/oauth/authorize', async (request, reply) => {
    const query = request.query;
    const found = authorizeTarget(query);
    if (typeof found === 'string') return htmlError(reply, found);
    const { portal, redirectUri } = found;
    const scopes = scopesOf(field(query, 'scope'));
    const state = field(query, 'state') ?? '';
    const body = html`<h1>Connect to ${portal.name}</h1>
      <p>An app wants access to HubSpot portal <strong>${portal.portalId}</strong> (${portal.hubDomain}).</p>
      <p>Requested scopes:</p><ul>${scopes.map((scope) => html`<li><code>${scope}</code></li>`)}</ul>
      <form method="post" action="">
        <input type="hidden" name="client_id" value="${portal.clientId}">
        <input type="hidden" name="redirect_uri" value="${redirectUri}">
        <input type="hidden" name="scope" value="${scopes.join(' ')}">
        <input type="hidden" name="state" value="${state}">
        <button type="submit" name="decision" value="allow">Connect app</button>
        <button type="submit" name="decision" value="deny">Cancel</button>
      </form>`;
    return reply.type('text/html; charset=utf-8').send(page(`Connect to ${portal.name}`, body));
  });

  app.post<{ Body: Fields | undefined }>('/oauth/authorize', async (request, reply) => {
    const body = request.body;
    const found = authorizeTarget(body);
    if (typeof found === 'string') return htmlError(reply, found);
    const { portal, redirectUri } = found;
    const target = new URL(redirectUri);
    const state = field(body, 'state');
    if (field(body, 'decision') !== 'allow') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user denied access.');
    } else {
      const code = newAuthCode();
      portal.authCodes.push({
        code,
        redirectUri,
        scopes: scopesOf(field(body, 'scope')),
        expiresAt: Date.now() + DEFAULTS.authCodeLifetimeMs,
      });
      keeper.changed();
      target.searchParams.set('code', code);
    }
    if (state !== undefined) target.searchParams.set('state', state);
    return reply.code(302).header('location', target.toString()).type('text/html; charset=utf-8').send('');
  });

  const tokenHandler = async (request: { body: unknown }, reply: FastifyReply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Fields;
    const grantType = field(body, 'grant_type');
    const portal = byClientId(field(body, 'client_id'));
    if (portal === undefined)
      throw tokenError('BAD_CLIENT_ID', 'missing or unknown client id', 'invalid_client');
    await applyFaults(keeper, portal);
    if (field(body, 'client_secret') !== portal.clientSecret) {
      throw tokenError('BAD_CLIENT_SECRET', 'missing or invalid client secret', 'invalid_client');
    }
    if (grantType === 'authorization_code') {
      const code = field(body, 'code');
      const entry = portal.authCodes.find((candidate) => candidate.code === code);
      if (entry === undefined || entry.expiresAt < Date.now()) {
        throw tokenError('BAD_AUTH_CODE', 'missing or unknown auth code');
      }
      if (field(body, 'redirect_uri') !== entry.redirectUri) {
        throw tokenError('BAD_REDIRECT_URI', 'redirect_uri does not match initial auth code URL');
      }
      portal.authCodes = portal.authCodes.filter((candidate) => candidate !== entry);
      const refreshToken = newRefreshToken();
      portal.refreshTokens.push({ token: refreshToken, scopes: entry.scopes, createdAt: Date.now() });
      return sendJson(reply, 200, issueTokens(context, portal, refreshToken, entry.scopes));
    }
    if (grantType === 'refresh_token') {
      const token = field(body, 'refresh_token');
      const entry = portal.refreshTokens.find((candidate) => candidate.token === token);
      if (entry === undefined) throw tokenError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
      return sendJson(reply, 200, issueTokens(context, portal, entry.token, entry.scopes));
    }
    throw tokenError('BAD_GRANT_TYPE', 'missing or unknown grant_type', 'unsupported_grant_type');
  };
  app.post('/oauth/v1/token', tokenHandler);
  app.post('/oauth/v3/token', tokenHandler);

  // Wildcards, because tokens are longer than the router's default limit for a path parameter.
  app.get<{ Params: { '*': string } }>('/oauth/v1/access-tokens/*', async (request, reply) => {
    const token = request.params['*'];
    for (const portal of keeper.state.portals) {
      const entry = portal.accessTokens.find((candidate) => candidate.token === token);
      if (entry === undefined) continue;
      const expiresIn = Math.round((entry.expiresAt - Date.now()) / 1000);
      if (expiresIn <= 0) break;
      return sendJson(reply, 200, {
        token: entry.token,
        user: portal.userEmail,
        hub_domain: portal.hubDomain,
        scopes: entry.scopes,
        hub_id: portal.portalId,
        app_id: portal.appId,
        expires_in: expiresIn,
        user_id: portal.userId,
        token_type: 'access',
      });
    }
    throw new HubspotError(
      404,
      errorBody('EXPIRED_AUTHENTICATION', 'The access token is expired or invalid'),
    );
  });

  const refreshInfo = (token: string) => {
    for (const portal of keeper.state.portals) {
      const entry = portal.refreshTokens.find((candidate) => candidate.token === token);
      if (entry !== undefined) return { portal, entry };
    }
    throw new HubspotError(404, errorBody('OBJECT_NOT_FOUND', 'missing or unknown refresh token'));
  };

  app.get<{ Params: { '*': string } }>('/oauth/v1/refresh-tokens/*', async (request, reply) => {
    const { portal, entry } = refreshInfo(request.params['*']);
    return sendJson(reply, 200, {
      token: entry.token,
      user: portal.userEmail,
      hub_domain: portal.hubDomain,
      scopes: entry.scopes,
      hub_id: portal.portalId,
      client_id: portal.clientId,
      user_id: portal.userId,
      token_type: 'refresh',
    });
  });

  app.delete<{ Params: { '*': string } }>('/oauth/v1/refresh-tokens/*', async (request, reply) => {
    const { portal, entry } = refreshInfo(request.params['*']);
    portal.refreshTokens = portal.refreshTokens.filter((candidate) => candidate !== entry);
    // Revoking a refresh token also ends the access tokens issued from it.
    portal.accessTokens = portal.accessTokens.filter((token) => token.refreshToken !== entry.token);
    keeper.changed();
    return sendNoContent(reply);
  });
}
