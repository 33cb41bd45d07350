import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { outageError } from './guard.ts';
import { html, page } from './html.ts';
import { randomToken } from './ids.ts';
import type { OrgRegistry } from './org-registry.ts';
import type { OrgState } from './state.ts';

const CODE_TTL_MS = 15 * 60_000;
const DEFAULT_SCOPE = 'api refresh_token';

export interface OAuthDeps {
  registry: OrgRegistry;
  baseUrl: (request: FastifyRequest) => string;
}

type Form = Record<string, string | undefined>;

function formOf(request: FastifyRequest): Form {
  const body = request.body;
  const fromBody = typeof body === 'object' && body !== null ? (body as Form) : {};
  return { ...(request.query as Form), ...fromBody };
}

/** What a browser sees when the authorize call itself is wrong: no redirect, an error page. */
function oauthErrorPage(reply: FastifyReply, message: string): FastifyReply {
  return reply
    .code(400)
    .type('text/html; charset=utf-8')
    .send(page('OAuth error', html`<h1>OAuth error</h1><p>${message}</p>`));
}

function tokenError(reply: FastifyReply, error: string, description: string, status = 400): FastifyReply {
  return reply
    .code(status)
    .type('application/json;charset=UTF-8')
    .send({ error, error_description: description });
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Client credentials from the form or HTTP Basic, as the token endpoint accepts both. */
function clientOf(
  request: FastifyRequest,
  form: Form,
): { id: string | undefined; secret: string | undefined } {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (basic?.[1]) {
    const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return {
      id: id ? decodeURIComponent(id) : undefined,
      secret: secret ? decodeURIComponent(secret) : undefined,
    };
  }
  return { id: form.client_id, secret: form.client_secret };
}

/**
 * The token answer Salesforce gives: `id` ends in `/<orgId>/<userId>` (jsforce reads both
 * from it), `issued_at` is epoch ms as a string, `signature` is
 * Base64(HMAC-SHA256(client secret, id + issued_at)).
 */
function issueTokens(
  org: OrgState,
  base: string,
  scope: string,
  refreshToken: string | null,
  includeRefresh: boolean,
) {
  const now = Date.now();
  // Expired sessions and codes are forgotten here, so a long-running org does not pile them up.
  for (const [token, session] of Object.entries(org.auth.accessTokens)) {
    if (session.expiresAt <= now) delete org.auth.accessTokens[token];
  }
  for (const [code, saved] of Object.entries(org.auth.codes)) {
    if (saved.expiresAt <= now) delete org.auth.codes[code];
  }
  const accessToken = `${org.orgId.slice(0, 15)}!${randomToken(48)}`;
  org.auth.accessTokens[accessToken] = {
    userId: org.userId,
    issuedAt: now,
    expiresAt: now + org.tokenLifetimeSeconds * 1000,
    refreshToken,
  };
  const id = `${base}/id/${org.orgId}/${org.userId}`;
  const issuedAt = String(now);
  const signature = createHmac('sha256', org.clientSecret)
    .update(id + issuedAt)
    .digest('base64');
  return {
    access_token: accessToken,
    ...(includeRefresh && refreshToken ? { refresh_token: refreshToken } : {}),
    signature,
    scope,
    instance_url: base,
    id,
    token_type: 'Bearer',
    issued_at: issuedAt,
  };
}

function newRefreshToken(org: OrgState, scope: string): string {
  const token = `5Aep861${randomToken(60)}`;
  org.auth.refreshTokens[token] = { userId: org.userId, issuedAt: Date.now(), scope };
  return token;
}

function pkceMatches(challenge: string, verifier: string | undefined): boolean {
  if (!verifier) return false;
  const computed = createHash('sha256').update(verifier).digest('base64url');
  return safeEqual(computed, challenge);
}

function consentPage(org: OrgState, form: Form): string {
  const hidden = [
    'response_type',
    'client_id',
    'redirect_uri',
    'state',
    'scope',
    'code_challenge',
    'code_challenge_method',
  ]
    .filter((name) => form[name] !== undefined)
    .map((name) => html`<input type="hidden" name="${name}" value="${form[name]}">`);
  return page(
    'Allow access?',
    html`<h1>Allow access?</h1>
<p>An application is asking to access the Salesforce sandbox org <strong>${org.name}</strong>
(<code>${org.orgId}</code>) as <strong>${org.username}</strong>.</p>
<p>Requested scope: <code>${form.scope ?? DEFAULT_SCOPE}</code></p>
<form method="post">${hidden}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

function redirectWith(
  reply: FastifyReply,
  redirectUri: string,
  params: Record<string, string | undefined>,
): FastifyReply {
  const target = new URL(redirectUri);
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) target.searchParams.set(key, value);
  return reply.redirect(target.toString(), 302);
}

export function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  const { registry } = deps;

  const authorizeTarget = (form: Form): { org: OrgState; redirectUri: string } | string => {
    const org = form.client_id ? registry.byClientId(form.client_id) : undefined;
    if (!org) return 'invalid_client_id: client identifier invalid';
    const redirectUri = form.redirect_uri ?? '';
    if (!URL.canParse(redirectUri)) return 'redirect_uri_mismatch: redirect_uri must be an absolute URL';
    if (org.redirectUris.length > 0 && !org.redirectUris.includes(redirectUri)) {
      return 'redirect_uri_mismatch: redirect_uri must match configuration';
    }
    if ((form.response_type ?? 'code') !== 'code')
      return 'unsupported_response_type: response type not supported';
    return { org, redirectUri };
  };

  app.get('/services/oauth2/authorize', async (request, reply) => {
    const form = formOf(request);
    const target = authorizeTarget(form);
    if (typeof target === 'string') return oauthErrorPage(reply, target);
    if (outageError(target.org, Date.now())) return reply.code(503).send('Service Unavailable');
    return reply.type('text/html; charset=utf-8').send(consentPage(target.org, form));
  });

  app.post('/services/oauth2/authorize', async (request, reply) => {
    const form = formOf(request);
    const target = authorizeTarget(form);
    if (typeof target === 'string') return oauthErrorPage(reply, target);
    if (form.decision !== 'allow') {
      return redirectWith(reply, target.redirectUri, {
        error: 'access_denied',
        error_description: 'end-user denied authorization',
        state: form.state,
      });
    }
    const code = `aPrx${randomToken(40)}`;
    target.org.auth.codes[code] = {
      userId: target.org.userId,
      redirectUri: target.redirectUri,
      scope: form.scope ?? DEFAULT_SCOPE,
      expiresAt: Date.now() + CODE_TTL_MS,
      codeChallenge: form.code_challenge ?? null,
    };
    registry.changed();
    return redirectWith(reply, target.redirectUri, { code, state: form.state });
  });

  app.post('/services/oauth2/token', async (request, reply) => {
    const form = formOf(request);
    const client = clientOf(request, form);
    const base = deps.baseUrl(request);
    const grant = form.grant_type;
    if (!grant) return tokenError(reply, 'invalid_request', 'grant type is missing');
    const org = client.id ? registry.byClientId(client.id) : undefined;
    if (!org) return tokenError(reply, 'invalid_client_id', 'client identifier invalid');
    if (outageError(org, Date.now())) return reply.code(503).send('Service Unavailable');
    if (org.faults.latencyMs > 0) await sleep(org.faults.latencyMs);
    const secretOk = client.secret === undefined ? null : safeEqual(client.secret, org.clientSecret);
    if (secretOk === false) return tokenError(reply, 'invalid_client', 'invalid client credentials');

    if (grant === 'password') {
      if (secretOk !== true) return tokenError(reply, 'invalid_client', 'invalid client credentials');
      const userOk =
        form.username !== undefined &&
        form.username.toLowerCase() === org.username.toLowerCase() &&
        safeEqual(form.password ?? '', org.password);
      if (!userOk) return tokenError(reply, 'invalid_grant', 'authentication failure');
      const body = issueTokens(org, base, DEFAULT_SCOPE, null, false);
      registry.changed();
      return reply.type('application/json;charset=UTF-8').send(body);
    }
    if (grant === 'authorization_code') {
      const code = form.code ?? '';
      const saved = org.auth.codes[code];
      delete org.auth.codes[code];
      registry.changed();
      if (!saved || saved.expiresAt < Date.now())
        return tokenError(reply, 'invalid_grant', 'invalid authorization code');
      if (saved.redirectUri !== form.redirect_uri)
        return tokenError(reply, 'invalid_grant', 'redirect_uri must match configuration');
      if (saved.codeChallenge !== null) {
        if (!pkceMatches(saved.codeChallenge, form.code_verifier))
          return tokenError(reply, 'invalid_grant', 'invalid code verifier');
      } else if (secretOk !== true) {
        return tokenError(reply, 'invalid_client', 'invalid client credentials');
      }
      const refresh = saved.scope.split(/\s+/).includes('refresh_token')
        ? newRefreshToken(org, saved.scope)
        : null;
      return reply
        .type('application/json;charset=UTF-8')
        .send(issueTokens(org, base, saved.scope, refresh, true));
    }
    if (grant === 'refresh_token') {
      const token = form.refresh_token ?? '';
      const saved = org.auth.refreshTokens[token];
      if (!saved) return tokenError(reply, 'invalid_grant', 'expired access/refresh token');
      // Salesforce answers a refresh without a new refresh token (no rotation).
      const body = issueTokens(org, base, saved.scope, token, false);
      registry.changed();
      return reply.type('application/json;charset=UTF-8').send(body);
    }
    return tokenError(reply, 'unsupported_grant_type', 'grant type not supported');
  });

  const revoke = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = formOf(request).token ?? '';
    const byAccess = registry.byAccessToken(token);
    if (byAccess) {
      delete byAccess.auth.accessTokens[token];
    } else {
      const org = registry.byRefreshToken(token);
      if (!org) return tokenError(reply, 'unsupported_token_type', 'this token type is not supported');
      delete org.auth.refreshTokens[token];
      for (const [access, state] of Object.entries(org.auth.accessTokens)) {
        if (state.refreshToken === token) delete org.auth.accessTokens[access];
      }
    }
    registry.changed();
    return reply.code(200).send();
  };
  app.post('/services/oauth2/revoke', revoke);
  app.get('/services/oauth2/revoke', revoke);

  /** Identity URL from the token answer; jsforce's `identity()` reads it. */
  app.get('/id/:orgId/:userId', async (request, reply) => {
    const { orgId, userId } = request.params as { orgId: string; userId: string };
    const token = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const org = registry.byAccessToken(token);
    const session = org?.auth.accessTokens[token];
    if (!org || !session || session.expiresAt <= Date.now() || org.orgId !== orgId || org.userId !== userId) {
      return reply.code(403).type('text/plain').send('Bad_OAuth_Token');
    }
    const base = deps.baseUrl(request);
    return reply.type('application/json;charset=UTF-8').send({
      id: `${base}/id/${org.orgId}/${org.userId}`,
      asserted_user: true,
      user_id: org.userId,
      organization_id: org.orgId,
      username: org.username,
      nick_name: 'sadmin',
      display_name: 'Sandbox Admin',
      email: org.username,
      active: true,
      user_type: 'STANDARD',
      language: 'en_US',
      locale: 'en_US',
      utcOffset: 0,
      urls: {
        rest: `${base}/services/data/v{version}/`,
        sobjects: `${base}/services/data/v{version}/sobjects/`,
        query: `${base}/services/data/v{version}/query/`,
      },
    });
  });
}
