import { createHmac } from 'node:crypto';
import Fastify from 'fastify';
import { Connection, OAuth2 } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  type NewOrg,
  passwordGrant,
  type RunningSandbox,
  rejection,
  startSandbox,
} from '../../../test/helpers/sandbox-salesforce.ts';
import { memorySandboxStore } from '../store.ts';
import { salesforceSandbox } from './index.ts';

let sandbox: RunningSandbox;
let org: NewOrg;
const redirectUri = 'http://127.0.0.1:9/callback';

beforeAll(async () => {
  sandbox = await startSandbox();
  org = await sandbox.createOrg({ redirectUris: [redirectUri], tokenLifetimeSeconds: 3600 });
});

afterAll(async () => {
  await sandbox.close();
});

function oauth2(): OAuth2 {
  return new OAuth2({
    loginUrl: sandbox.base,
    clientId: org.clientId,
    clientSecret: org.clientSecret,
    redirectUri,
  });
}

async function authorizationCode(state: string): Promise<URL> {
  const url = oauth2().getAuthorizationUrl({ scope: 'api refresh_token', state });
  const consent = await fetch(url);
  expect(consent.status).toBe(200);
  const page = await consent.text();
  expect(page).toContain('value="allow"');
  const form = new URLSearchParams(new URL(url).search);
  form.set('decision', 'allow');
  const answer = await fetch(`${sandbox.base}/services/oauth2/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location') ?? '');
}

describe('OAuth 2.0', () => {
  it('answers the password grant with the documented token shape', async () => {
    const response = await passwordGrant(sandbox.base, org);
    expect(response.status).toBe(200);
    const token = (await response.json()) as Record<string, string>;
    expect(token).toMatchObject({
      token_type: 'Bearer',
      instance_url: sandbox.base,
      id: `${sandbox.base}/id/${org.orgId}/${org.userId}`,
    });
    expect(token.issued_at).toMatch(/^\d{13}$/);
    expect(token).not.toHaveProperty('refresh_token');
    const expected = createHmac('sha256', org.clientSecret)
      .update(`${token.id}${token.issued_at}`)
      .digest('base64');
    expect(token.signature).toBe(expected);
  });

  it('rejects bad credentials with 400 {error, error_description}', async () => {
    const conn = new Connection({ oauth2: oauth2(), version: API_VERSION });
    const failure = await rejection(conn.login(org.username, 'wrong'));
    expect(failure.name).toBe('invalid_grant');
    expect(failure.message).toBe('authentication failure');
  });

  it('runs the authorization-code flow with consent, state and a refresh token', async () => {
    const location = await authorizationCode('xyz-123');
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz-123');
    const code = location.searchParams.get('code') ?? '';
    const conn = new Connection({ oauth2: oauth2(), version: API_VERSION });
    const userInfo = await conn.authorize(code);
    expect(userInfo).toMatchObject({ id: org.userId, organizationId: org.orgId });
    expect(conn.instanceUrl).toBe(sandbox.base);
    expect(conn.refreshToken).toMatch(/^5Aep861/);
    const reused = await rejection(new Connection({ oauth2: oauth2() }).authorize(code));
    expect(reused.name).toBe('invalid_grant');
  });

  it('answers a denied consent with error=access_denied', async () => {
    const url = oauth2().getAuthorizationUrl({ state: 's' });
    const form = new URLSearchParams(new URL(url).search);
    form.set('decision', 'deny');
    const answer = await fetch(`${sandbox.base}/services/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
    expect(new URL(answer.headers.get('location') ?? '').searchParams.get('error')).toBe('access_denied');
  });

  it('expires access tokens (401 INVALID_SESSION_ID) and jsforce refreshes and replays', async () => {
    const location = await authorizationCode('refresh');
    const conn = new Connection({ oauth2: oauth2(), version: API_VERSION });
    await conn.authorize(location.searchParams.get('code') ?? '');
    const before = conn.accessToken;
    let refreshed = 0;
    conn.on('refresh', () => {
      refreshed += 1;
    });
    await conn.sobject('Lead').create({ LastName: 'Before', Company: 'Expiry' });
    const expired = await sandbox.admin<{ expired: number }>(
      'POST',
      `/orgs/${org.orgId}/faults/expire-tokens`,
    );
    expect(expired.body.expired).toBeGreaterThan(0);

    const raw = await fetch(`${sandbox.base}/services/data/v${API_VERSION}/limits`, {
      headers: { authorization: `Bearer ${before}` },
    });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toEqual([
      { errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' },
    ]);

    const result = await conn.query<{ Id: string }>("SELECT Id FROM Lead WHERE Company = 'Expiry'");
    expect(result.totalSize).toBe(1);
    expect(refreshed).toBe(1);
    expect(conn.accessToken).not.toBe(before);
  });

  it('refreshes through a refreshFn given to the connection', async () => {
    const location = await authorizationCode('fn');
    const client = oauth2();
    const token = await client.requestToken(location.searchParams.get('code') ?? '');
    const conn = new Connection({
      instanceUrl: token.instance_url,
      accessToken: 'invalid-token',
      version: API_VERSION,
      refreshFn: (_c, callback) => {
        client.refreshToken(token.refresh_token ?? '').then(
          (res) => callback(null, res.access_token, res),
          (err: Error) => callback(err),
        );
      },
    });
    const records = await conn.query('SELECT Id FROM User');
    expect(records.totalSize).toBe(1);
  });

  it('revokes a refresh token and the access tokens it minted', async () => {
    const location = await authorizationCode('revoke');
    const client = oauth2();
    const token = await client.requestToken(location.searchParams.get('code') ?? '');
    await client.revokeToken(token.refresh_token ?? '');
    const refresh = await rejection(client.refreshToken(token.refresh_token ?? ''));
    expect(refresh.name).toBe('invalid_grant');
    const raw = await fetch(`${sandbox.base}/services/data/v${API_VERSION}/limits`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(raw.status).toBe(401);
  });

  it('surfaces INVALID_SESSION_ID through jsforce when no refresh is possible', async () => {
    const conn = new Connection({
      instanceUrl: sandbox.base,
      accessToken: `${org.orgId.slice(0, 15)}!stale`,
      version: API_VERSION,
    });
    const failure = await rejection(conn.sobject('Lead').create({ LastName: 'X', Company: 'Y' }));
    expect(failure.errorCode).toBe('INVALID_SESSION_ID');
    expect(failure.message).toBe('Session expired or invalid');
  });

  it('uses publicUrl, when given, for instance_url and the identity URL', async () => {
    const app = Fastify({ logger: false });
    await app.register(salesforceSandbox, {
      prefix: '/sandbox/salesforce',
      store: memorySandboxStore(),
      publicUrl: 'https://crm.example.test/sandbox/salesforce/',
    });
    try {
      const created = await app.inject({
        method: 'POST',
        url: '/sandbox/salesforce/_admin/orgs',
        payload: {},
      });
      const other = created.json<{
        clientId: string;
        clientSecret: string;
        username: string;
        password: string;
      }>();
      const token = await app.inject({
        method: 'POST',
        url: '/sandbox/salesforce/services/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'password',
          client_id: other.clientId,
          client_secret: other.clientSecret,
          username: other.username,
          password: other.password,
        }).toString(),
      });
      const body = token.json<{ instance_url: string; id: string }>();
      expect(body.instance_url).toBe('https://crm.example.test/sandbox/salesforce');
      expect(body.id.startsWith('https://crm.example.test/sandbox/salesforce/id/')).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('serves the identity URL', async () => {
    const conn = await sandbox.login(org);
    const identity = await conn.identity();
    expect(identity).toMatchObject({
      user_id: org.userId,
      organization_id: org.orgId,
      username: org.username,
    });
  });
});
