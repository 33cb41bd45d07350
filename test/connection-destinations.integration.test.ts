import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { consent, SandboxSalesforce } from './helpers/crm.ts';

/**
 * A server that answers like a CRM would, but says what its test wants: a token endpoint
 * under /fake-sf (which the operator allowed), and an "internal" service beside it that no
 * connection may reach.
 */
interface FakeCrm {
  url: string;
  server: FastifyInstance;
  tokenAnswer: (clientSecret: string) => { status: number; type: string; body: unknown };
  describeAnswer: { status: number; type: string; body: string };
  internalCalls: number;
}

const clientSecret = 'fake-client-secret-0123456789';
const orgId = '00DFAKE00000001AAA';
const userId = '005FAKE00000001AAA';
const secretBody = 'INTERNAL-SECRET-BODY';

const sign = (secret: string, id: string, issuedAt: string) =>
  createHmac('sha256', secret)
    .update(id + issuedAt)
    .digest('base64');

async function startFakeCrm(): Promise<FakeCrm> {
  const server = Fastify({ logger: false });
  const fake: FakeCrm = {
    url: '',
    server,
    tokenAnswer: () => ({ status: 500, type: 'text/plain', body: 'not set' }),
    describeAnswer: { status: 200, type: 'application/json', body: '{}' },
    internalCalls: 0,
  };
  server.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  server.post('/fake-sf/services/oauth2/token', async (request, reply) => {
    const form = request.body as Record<string, string>;
    const answer = fake.tokenAnswer(form.client_secret ?? '');
    return reply.code(answer.status).type(answer.type).send(answer.body);
  });
  server.get('/fake-sf/services/data/*', async (_request, reply) =>
    reply.code(fake.describeAnswer.status).type(fake.describeAnswer.type).send(fake.describeAnswer.body),
  );
  server.all('/internal/*', async (_request, reply) => {
    fake.internalCalls += 1;
    return reply.type('text/plain').send(secretBody);
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  fake.url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return fake;
}

/** A Salesforce token answer as the fake gives it, signed with `signWith`. */
function salesforceAnswer(
  fake: FakeCrm,
  options: { instanceUrl?: string; signWith?: string; claimOrg?: string } = {},
) {
  const id = `${fake.url}/fake-sf/id/${options.claimOrg ?? orgId}/${userId}`;
  const issuedAt = String(Date.now());
  return (secret: string) => ({
    status: 200,
    type: 'application/json',
    body: {
      access_token: 'fake-access-token',
      refresh_token: 'fake-refresh-token',
      instance_url: options.instanceUrl ?? `${fake.url}/fake-sf`,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
      signature: sign(options.signWith ?? secret, id, issuedAt),
    },
  });
}

let fake: FakeCrm;
let testApp: TestApp;
let api: ApiClient;

interface Connection {
  id: string;
  status: string;
  accountId: string | null;
  tokenExpiresAt: string | null;
  lastError: string | null;
}

beforeAll(async () => {
  fake = await startFakeCrm();
  testApp = await startTestApp({
    plugins: sandboxPlugins(memorySandboxStore()),
    env: { REFSYNC_CRM_BASE_URLS: `${fake.url}/fake-sf` },
  });
  api = (await testApp.newWorkspace()).api;
}, 120_000);
afterAll(async () => {
  await testApp?.close();
  await fake?.server.close();
});

async function createFakeConnection(client: ApiClient, baseUrl = `${fake.url}/fake-sf`) {
  return client.post<{ connection: Connection; authorizeUrl: string; error?: { message: string } }>(
    '/api/v1/connections',
    { provider: 'salesforce', clientId: 'fake-client', clientSecret, baseUrl },
  );
}

/** The CRM's redirect back, made by hand with the state refsync issued. */
async function callback(authorizeUrl: string): Promise<{ status: number; body: string }> {
  const state = new URL(authorizeUrl).searchParams.get('state') ?? '';
  const response = await fetch(`${testApp.url}/oauth/callback?code=x&state=${encodeURIComponent(state)}`);
  return { status: response.status, body: await response.text() };
}

const connectionOf = async (client: ApiClient, id: string) =>
  (await client.get<Connection>(`/api/v1/connections/${id}`)).body;

describe('where a connection may send requests', () => {
  it('refuses a loopback, private or foreign baseUrl the operator did not allow, naming baseUrl', async () => {
    const { api: own } = await testApp.newWorkspace('probe');
    for (const baseUrl of [
      `${fake.url}/internal/secret#`,
      'http://169.254.169.254/latest/meta-data',
      'http://10.1.2.3/',
      'https://evil.example.com',
    ]) {
      const created = await createFakeConnection(own, baseUrl);
      expect(created.status, baseUrl).toBe(400);
      expect(created.body.error?.message).toMatch(/^baseUrl: /);
    }
    expect((await own.get<{ data: unknown[] }>('/api/v1/connections')).body.data).toEqual([]);
    expect(fake.internalCalls).toBe(0);
  });

  it('refuses a token answer whose instance_url is loopback or not Salesforce, storing no tokens', async () => {
    for (const instanceUrl of [`${fake.url}/internal/secret`, 'https://evil.example.com']) {
      fake.tokenAnswer = salesforceAnswer(fake, { instanceUrl });
      const created = await createFakeConnection(api);
      expect(created.status).toBe(201);
      const page = await callback(created.body.authorizeUrl);
      expect(page.status).toBe(400);
      expect(page.body).toContain('instance URL refsync may not call');
      const stored = await connectionOf(api, created.body.connection.id);
      expect(stored).toMatchObject({ status: 'pending', accountId: null, tokenExpiresAt: null });
      expect(stored.lastError).toContain('instance URL');
      const fields = await api.get(`/api/v1/connections/${created.body.connection.id}/fields?object=Lead`);
      expect(fields.status).toBe(409);
    }
    expect(fake.internalCalls).toBe(0);
  });

  it('refuses a token answer with a forged signature and stores nothing', async () => {
    fake.tokenAnswer = salesforceAnswer(fake, { signWith: 'not-the-client-secret' });
    const created = await createFakeConnection(api);
    const page = await callback(created.body.authorizeUrl);
    expect(page.status).toBe(400);
    expect(page.body).toContain('signature of the token answer does not match');
    const stored = await connectionOf(api, created.body.connection.id);
    expect(stored).toMatchObject({ status: 'pending', accountId: null, tokenExpiresAt: null });
  });

  it('does not let an org claimed by a fake token endpoint squat the real one', async () => {
    const sf = await SandboxSalesforce.createOrg(testApp);
    const { api: attacker } = await testApp.newWorkspace('attacker');
    // A token endpoint of the attacker's own, not on the operator's list: refused outright.
    const unlisted = await createFakeConnection(attacker, `${fake.url}/internal/claim`);
    expect(unlisted.status).toBe(400);
    // On an allowed base, a claim it cannot sign for the real app is refused too.
    fake.tokenAnswer = salesforceAnswer(fake, { claimOrg: sf.org.orgId, signWith: 'guessed' });
    const claimed = await createFakeConnection(attacker);
    expect((await callback(claimed.body.authorizeUrl)).status).toBe(400);
    expect((await connectionOf(attacker, claimed.body.connection.id)).accountId).toBeNull();

    const { api: owner } = await testApp.newWorkspace('owner');
    const connectionId = await sf.connect(owner);
    expect(await connectionOf(owner, connectionId)).toMatchObject({
      status: 'connected',
      accountId: sf.org.orgId,
    });
  });

  it('shows no more of an HTML body from the CRM than a short escaped excerpt', async () => {
    const html = `<html><body><script>alert("x")</script>${'Lorem ipsum '.repeat(100)}TAIL-MARKER</body></html>`;
    fake.tokenAnswer = () => ({ status: 500, type: 'text/html', body: html });
    const created = await createFakeConnection(api);
    const page = await callback(created.body.authorizeUrl);
    expect(page.status).toBe(400);
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('TAIL-MARKER');
    const stored = await connectionOf(api, created.body.connection.id);
    expect(stored.lastError).not.toContain('<');
    expect(stored.lastError).not.toContain('TAIL-MARKER');
  });
});

describe('a CRM error refsync does not recognise', () => {
  it('answers 502 with a short excerpt and records it in the health', async () => {
    fake.tokenAnswer = salesforceAnswer(fake);
    const { api: own } = await testApp.newWorkspace('fields');
    const created = await createFakeConnection(own);
    expect((await callback(created.body.authorizeUrl)).status).toBe(200);
    const id = created.body.connection.id;

    fake.describeAnswer = {
      status: 500,
      type: 'text/html',
      body: `<html><script>steal()</script>${'x'.repeat(1000)}TAIL-MARKER</html>`,
    };
    const fields = await own.get<{ error: { code: string; message: string } }>(
      `/api/v1/connections/${id}/fields?object=Lead`,
    );
    expect(fields.status).toBe(502);
    expect(fields.body.error.code).toBe('crm_error');
    expect(fields.body.error.message.length).toBeLessThan(300);
    expect(fields.body.error.message).not.toContain('TAIL-MARKER');
    const health = await connectionOf(own, id);
    expect(health.lastError).toBeTruthy();
    expect(health.lastError).not.toContain('<script>');
    expect(health.lastError).not.toContain('x'.repeat(200));

    fake.describeAnswer = {
      status: 400,
      type: 'application/json',
      body: JSON.stringify([{ errorCode: 'SOMETHING_NEW', message: 'A code nobody has seen' }]),
    };
    const again = await own.get<{ error: { code: string; message: string } }>(
      `/api/v1/connections/${id}/fields?object=Lead`,
    );
    expect(again.status).toBe(502);
    expect(again.body.error.message).toContain('SOMETHING_NEW');
    expect((await connectionOf(own, id)).lastError).toContain('SOMETHING_NEW');
  });
});

describe('connecting an org twice in one workspace', () => {
  it('says it is already connected here and names the existing connection', async () => {
    const sf = await SandboxSalesforce.createOrg(testApp);
    const { api: own } = await testApp.newWorkspace('twice');
    const first = await sf.connect(own);
    const second = await own.post<{ connection: { id: string }; authorizeUrl: string }>(
      '/api/v1/connections',
      {
        provider: 'salesforce',
        clientId: sf.org.clientId,
        clientSecret: sf.org.clientSecret,
        baseUrl: SandboxSalesforce.baseUrl(testApp),
      },
    );
    const page = await consent(second.body.authorizeUrl);
    expect(page.status).toBe(400);
    expect(page.body).toContain('already connected in this workspace');
    expect(page.body).toContain(first);
    expect(page.body).not.toContain('another refsync workspace');
    const stored = await connectionOf(own, second.body.connection.id);
    expect(stored.status).toBe('pending');
    expect(stored.lastError).toContain('already connected in this workspace');
    expect(stored.lastError).toContain(first);
  });
});
