import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ plugins: sandboxPlugins(memorySandboxStore()) });
});
afterAll(() => testApp.close());

const read = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
};

describe('sandbox admin APIs', () => {
  it("show a Salesforce org's client secret and password only in the answer that creates it", async () => {
    const org = await SandboxSalesforce.createOrg(testApp, { name: 'Secret keeper' });
    expect(org.org.clientSecret.length).toBeGreaterThan(16);
    expect(org.org.password.length).toBeGreaterThan(4);
    // The created credentials work.
    await org.jsforce();

    const base = SandboxSalesforce.baseUrl(testApp);
    const one = await read(`${base}/_admin/orgs/${org.org.orgId}`);
    const all = await read(`${base}/_admin/orgs`);
    const patched = await fetch(`${base}/_admin/orgs/${org.org.orgId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Renamed keeper' }),
    });
    expect(patched.status).toBe(200);
    const afterPatch = await patched.text();
    for (const answer of [one, all, afterPatch]) {
      expect(answer).toContain(org.org.clientId);
      expect(answer).toContain(org.org.username);
      expect(answer).not.toContain(org.org.clientSecret);
      expect(answer).not.toContain(org.org.password);
    }
  });

  it("show a HubSpot portal's client secret, developer key and private-app token only when it is created", async () => {
    const portal = await SandboxHubspot.createPortal(testApp, { name: 'Quiet portal' });
    const created = portal.portal as typeof portal.portal & { developerApiKey: string };
    expect(created.accessToken).toMatch(/^pat-/);
    expect(created.clientSecret.length).toBeGreaterThan(16);
    expect(created.developerApiKey.length).toBeGreaterThan(16);

    const base = SandboxHubspot.baseUrl(testApp);
    const one = await read(`${base}/_admin/portals/${created.portalId}`);
    const all = await read(`${base}/_admin/portals`);
    const page = await read(`${base}/_ui/portals/${created.portalId}`);
    for (const answer of [one, all, page]) {
      expect(answer).toContain(created.clientId);
      expect(answer).not.toContain(created.clientSecret);
      expect(answer).not.toContain(created.developerApiKey);
      expect(answer).not.toContain(created.accessToken);
    }
  });
});
