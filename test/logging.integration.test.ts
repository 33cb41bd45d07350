import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connections } from '../src/db/schema.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { consent, SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';

const lines: string[] = [];
const logDestination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});
const logged = () => lines.join('');

let testApp: TestApp;

beforeAll(async () => {
  // debug: also the requests of the Salesforce hook routes, which log at warn and above otherwise.
  testApp = await startTestApp({
    plugins: sandboxPlugins(memorySandboxStore()),
    env: { REFSYNC_LOG_LEVEL: 'debug' },
    logDestination,
  });
});
afterAll(() => testApp.close());

async function connect(
  api: TestApp['anonymous'],
  provider: 'salesforce' | 'hubspot',
  credentials: { clientId: string; clientSecret: string },
  baseUrl: string,
) {
  const created = await api.post<{ connection: { id: string }; authorizeUrl: string }>(
    '/api/v1/connections',
    {
      provider,
      ...credentials,
      baseUrl,
    },
  );
  expect(created.status).toBe(201);
  const result = await consent(created.body.authorizeUrl);
  expect(result.status).toBe(200);
  const code = new URL(result.callbackUrl).searchParams.get('code') ?? '';
  expect(code.length).toBeGreaterThan(8);
  const [row] = await testApp.app.ctx.db
    .select()
    .from(connections)
    .where(eq(connections.id, created.body.connection.id));
  const accessToken = row?.accessTokenSealed ? testApp.app.ctx.secrets.open(row.accessTokenSealed) : '';
  expect(accessToken).not.toBe('');
  return { id: created.body.connection.id, code, accessToken };
}

describe('request logs', () => {
  it('leave out OAuth codes, access tokens, API keys and hook secrets', async () => {
    const { key, api } = await testApp.newWorkspace();
    const org = await SandboxSalesforce.createOrg(testApp);
    const salesforce = await connect(api, 'salesforce', org.org, SandboxSalesforce.baseUrl(testApp));
    const portal = await SandboxHubspot.createPortal(testApp);
    const hubspot = await connect(api, 'hubspot', portal.portal, SandboxHubspot.baseUrl(testApp));

    const hooks = await api.get<{ salesforceOutboundUrl: string }>(
      `/api/v1/connections/${salesforce.id}/hooks`,
    );
    const hookSecret = hooks.body.salesforceOutboundUrl.split('/').at(-1) ?? '';
    expect(hookSecret.length).toBeGreaterThan(16);
    const hook = await fetch(hooks.body.salesforceOutboundUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<not-a-soap-message/>',
    });
    expect(hook.status).toBeGreaterThanOrEqual(200);
    // A GET is no route: logged at info by the not-found handler, URL and all.
    expect((await fetch(hooks.body.salesforceOutboundUrl)).status).toBe(404);
    // An access token in the query, as some clients send it.
    await fetch(
      `${SandboxHubspot.baseUrl(testApp)}/crm/v3/objects/contacts?access_token=${hubspot.accessToken}`,
    );

    const log = logged();
    // The requests were logged, only without their secrets.
    expect(log).toContain('/callback?');
    expect(log).toContain(`/hooks/salesforce/${salesforce.id}/[redacted]`);
    expect(log).toContain('access_token=[redacted]');
    for (const secret of [
      salesforce.code,
      hubspot.code,
      salesforce.accessToken,
      hubspot.accessToken,
      hookSecret,
      key,
      org.org.clientSecret,
      portal.portal.clientSecret,
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});
