import { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminCall,
  apiError,
  clientFor,
  createPortal,
  fetchJson,
  type PortalCredentials,
  type RunningSandbox,
  startSandbox,
} from '../../../test/helpers/sandbox-hubspot.ts';

const REDIRECT_URI = 'http://127.0.0.1:9/oauth-callback';
let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

/** Walks the consent page the way a browser would and returns the authorization code. */
async function authorize(portal: PortalCredentials, state: string): Promise<string> {
  const query = new URLSearchParams({
    client_id: portal.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'oauth crm.objects.contacts.write',
    state,
  });
  const consent = await fetch(`${sandbox.baseUrl}/oauth/authorize?${query}`);
  expect(consent.status).toBe(200);
  const page = await consent.text();
  expect(page).toContain('crm.objects.contacts.write');
  expect(page).toContain('value="allow"');
  const allow = await fetch(`${sandbox.baseUrl}/oauth/authorize?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: portal.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'oauth crm.objects.contacts.write',
      state,
      decision: 'allow',
    }).toString(),
    redirect: 'manual',
  });
  expect(allow.status).toBe(302);
  const location = new URL(allow.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  expect(location.searchParams.get('state')).toBe(state);
  return location.searchParams.get('code') ?? '';
}

describe('OAuth', () => {
  it('issues tokens for a consented code, expires them with the documented 401, and refreshes', async () => {
    const portal = await createPortal(sandbox.baseUrl, {
      redirectUris: [REDIRECT_URI],
      tokenLifetimeSeconds: 600,
    });
    const code = await authorize(portal, 'xyz-123');
    const anonymous = new Client({ basePath: sandbox.baseUrl });
    const tokens = await anonymous.oauth.tokensApi.create(
      'authorization_code',
      code,
      REDIRECT_URI,
      portal.clientId,
      portal.clientSecret,
    );
    expect(tokens.tokenType).toBe('bearer');
    expect(tokens.expiresIn).toBe(600);
    expect(tokens.refreshToken).toBeTruthy();

    // A code is good for one exchange only.
    const reused = await apiError(
      anonymous.oauth.tokensApi.create(
        'authorization_code',
        code,
        REDIRECT_URI,
        portal.clientId,
        portal.clientSecret,
      ),
    );
    expect(reused.code).toBe(400);
    expect(reused.body.status).toBe('BAD_AUTH_CODE');

    const info = await anonymous.oauth.accessTokensApi.get(tokens.accessToken);
    expect(info.hubId).toBe(portal.portalId);
    expect(info.appId).toBe(portal.appId);
    expect(info.scopes).toContain('crm.objects.contacts.write');
    expect(info.expiresIn).toBeGreaterThan(590);

    const refreshInfo = await anonymous.oauth.refreshTokensApi.get(tokens.refreshToken);
    expect(refreshInfo.hubId).toBe(portal.portalId);
    expect(refreshInfo.clientId).toBe(portal.clientId);

    const client = clientFor(sandbox.baseUrl, tokens.accessToken);
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'oauth@example.com' },
      associations: [],
    });
    expect(contact.id).toMatch(/^\d+$/);

    await adminCall(sandbox.baseUrl, 'PUT', `/_admin/portals/${portal.portalId}/faults`, {
      expireTokensNow: true,
    });
    const expired = await apiError(client.crm.contacts.basicApi.getById(contact.id));
    expect(expired.code).toBe(401);
    expect(expired.body.category).toBe('EXPIRED_AUTHENTICATION');
    expect(expired.body.message).toMatch(
      /^The OAuth token used to make this call expired \d+ second\(s\) ago\.$/,
    );

    const refreshed = await client.oauth.tokensApi.create(
      'refresh_token',
      undefined,
      undefined,
      portal.clientId,
      portal.clientSecret,
      tokens.refreshToken,
    );
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toBe(tokens.refreshToken);
    client.setAccessToken(refreshed.accessToken);
    const again = await client.crm.contacts.basicApi.getById(contact.id);
    expect(again.properties.email).toBe('oauth@example.com');

    // OAuth calls carry the rolling-window headers but not the daily ones.
    const viaOAuth = await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts/${contact.id}`, {
      headers: { authorization: `Bearer ${refreshed.accessToken}` },
    });
    expect(viaOAuth.headers.get('x-hubspot-ratelimit-max')).toBe('100');
    expect(viaOAuth.headers.get('x-hubspot-ratelimit-daily')).toBeNull();

    // The private-app token never expires.
    const privateApp = clientFor(sandbox.baseUrl, portal.accessToken);
    expect((await privateApp.crm.contacts.basicApi.getById(contact.id)).id).toBe(contact.id);
  });

  it('refuses a bad client secret, an unknown refresh token and a foreign redirect URI', async () => {
    const portal = await createPortal(sandbox.baseUrl, { redirectUris: [REDIRECT_URI] });
    const anonymous = new Client({ basePath: sandbox.baseUrl });
    const badSecret = await apiError(
      anonymous.oauth.tokensApi.create('refresh_token', undefined, undefined, portal.clientId, 'wrong', 'x'),
    );
    expect(badSecret.code).toBe(400);
    expect(badSecret.body.status).toBe('BAD_CLIENT_SECRET');
    const badRefresh = await apiError(
      anonymous.oauth.tokensApi.create(
        'refresh_token',
        undefined,
        undefined,
        portal.clientId,
        portal.clientSecret,
        'nope',
      ),
    );
    expect(badRefresh.code).toBe(400);
    expect(badRefresh.body).toMatchObject({
      status: 'BAD_REFRESH_TOKEN',
      message: 'missing or unknown refresh token',
    });
    const foreign = await fetch(
      `${sandbox.baseUrl}/oauth/authorize?${new URLSearchParams({ client_id: portal.clientId, redirect_uri: 'https://evil.example/cb' })}`,
    );
    expect(foreign.status).toBe(400);
  });
});

describe('rate limit', () => {
  it('sends the rate-limit headers and answers 429 TEN_SECONDLY_ROLLING past the limit', async () => {
    const portal = await createPortal(sandbox.baseUrl, { rateLimitMax: 3, rateLimitIntervalMs: 60_000 });
    const call = () =>
      fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts`, {
        headers: { authorization: `Bearer ${portal.accessToken}` },
      });
    const answers = [await call(), await call(), await call(), await call()];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((answer) => answer.headers.get('x-hubspot-ratelimit-remaining'))).toEqual([
      '2',
      '1',
      '0',
      '0',
    ]);
    const limited = answers[3];
    expect(limited?.headers.get('x-hubspot-ratelimit-max')).toBe('3');
    expect(answers[0]?.headers.get('x-hubspot-ratelimit-daily')).toBe('250000');
    expect(answers[0]?.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('249999');
    expect(limited?.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('60000');
    expect(limited?.contentType).toMatch(/^application\/json/);
    expect(limited?.body).toMatchObject({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
    });
  });

  it('lets the official client retry a 429 on its own and succeed', async () => {
    const portal = await createPortal(sandbox.baseUrl);
    await adminCall(sandbox.baseUrl, 'PUT', `/_admin/portals/${portal.portalId}/faults`, {
      force429Count: 1,
    });
    const client = clientFor(sandbox.baseUrl, portal.accessToken, 2);
    const started = Date.now();
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'retried@example.com' },
      associations: [],
    });
    expect(contact.properties.email).toBe('retried@example.com');
    // The client waits 10 s before its retry of a TEN_SECONDLY_ROLLING 429.
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_900);
    const without = clientFor(sandbox.baseUrl, portal.accessToken);
    await adminCall(sandbox.baseUrl, 'PUT', `/_admin/portals/${portal.portalId}/faults`, {
      force429Count: 1,
    });
    const error = await apiError(without.crm.contacts.basicApi.getById(contact.id));
    expect(error.code).toBe(429);
  }, 20_000);
});

describe('faults', () => {
  it('adds latency, answers 500/503 at the error rate, and goes dark during an outage except _admin', async () => {
    const portal = await createPortal(sandbox.baseUrl);
    const url = `${sandbox.baseUrl}/crm/v3/objects/deals`;
    const headers = { authorization: `Bearer ${portal.accessToken}` };
    const faults = (body: Record<string, unknown>) =>
      adminCall(sandbox.baseUrl, 'PUT', `/_admin/portals/${portal.portalId}/faults`, body);

    await faults({ latencyMs: 150 });
    const started = Date.now();
    expect((await fetchJson(url, { headers })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    await faults({ latencyMs: 0, errorRate: 1, errorStatuses: [503] });
    const failing = await fetchJson(url, { headers });
    expect(failing.status).toBe(503);
    expect(failing.contentType).toMatch(/^application\/json/);
    expect(failing.body).toMatchObject({ status: 'error', category: 'SERVICE_UNAVAILABLE' });

    await faults({ errorRate: 0, outageSeconds: 0.3 });
    expect((await fetchJson(url, { headers })).status).toBe(503);
    expect((await fetchJson(`${sandbox.baseUrl}/_admin/portals/${portal.portalId}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await fetchJson(url, { headers })).status).toBe(200);
  });

  it('keeps a portal’s faults to itself', async () => {
    const broken = await createPortal(sandbox.baseUrl);
    const healthy = await createPortal(sandbox.baseUrl);
    await adminCall(sandbox.baseUrl, 'PUT', `/_admin/portals/${broken.portalId}/faults`, {
      outageSeconds: 30,
    });
    const status = async (token: string) =>
      (
        await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status;
    expect(await status(broken.accessToken)).toBe(503);
    expect(await status(healthy.accessToken)).toBe(200);
    await adminCall(sandbox.baseUrl, 'DELETE', `/_admin/portals/${broken.portalId}/faults`);
    expect(await status(broken.accessToken)).toBe(200);
  });
});
