import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { ensureBundle } from '../web/build.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { browserAvailability, expectAccessible, screenshot } from './helpers/browser.ts';
import { signedInConsole } from './helpers/console-browser.ts';
import { SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';

/**
 * Connecting sandbox CRMs from the console in Chromium: the consent page opens, Allow brings
 * the person back to the connection's page; refsync's fields are created with one click; the
 * hook URLs and the CRM-side steps are shown.
 */

const availability = browserAvailability();
if (availability.message) console.warn(availability.message);

let testApp: TestApp;
let page: Page;
let close: (() => Promise<void>) | undefined;
let api: ApiClient;

describe.runIf(availability.run)('connections in the console', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    await ensureBundle();
    testApp = await startTestApp({ plugins: sandboxPlugins(memorySandboxStore()) });
    const workspace = await testApp.newWorkspace('Connections workspace');
    api = workspace.api;
    ({ page, close } = await signedInConsole(testApp, workspace.id, '/connections', 'Connections'));
  }, 240_000);

  afterAll(async () => {
    await close?.();
    await testApp?.close();
  });

  it('connects a sandbox Salesforce org, creates the fields on Lead and shows the outbound message URL', async () => {
    const org = await SandboxSalesforce.createOrg(testApp);
    await page.getByText('No CRM connected yet.').waitFor();
    await expectAccessible(page, 'connections (empty)');
    await screenshot(page, '30-connections-empty');
    await page.getByLabel('Name (optional)').fill('Sales org');
    await page.getByLabel('Client ID').fill(org.org.clientId);
    await page.getByLabel('Client secret').fill(org.org.clientSecret);
    await page.getByRole('button', { name: 'Use the sandbox' }).click();
    await page.getByRole('button', { name: 'Connect Salesforce' }).click();
    // The sandbox org's consent page, then back in the console.
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Sales org', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/connections\/con_/);
    await page
      .getByText(`Salesforce is connected: refsync can now write to account ${org.org.orgId}.`)
      .waitFor();
    const health = page.getByTestId('connection-health');
    await health.getByText('Connected').waitFor();

    await page.getByLabel('CRM object').selectOption('Lead');
    await page.getByRole('button', { name: "Create refsync's fields" }).click();
    await page.getByText(/Created on Lead: .*Refsync_Referral_Id__c/).waitFor();
    const lead = await (await org.jsforce()).sobject('Lead').describe();
    expect(lead.fields.map((field) => field.name)).toContain('Refsync_Referral_Id__c');
    await page.getByRole('button', { name: "Create refsync's fields" }).click();
    await page.getByText(/Already there: .*Refsync_Referral_Id__c/).waitFor();

    const hooks = await api.get<{ salesforceOutboundUrl: string }>(
      `/api/v1/connections/${new URL(page.url()).pathname.split('/')[2]}/hooks`,
    );
    await page.getByText(hooks.body.salesforceOutboundUrl, { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Copy the outbound message URL' }).waitFor();
    await expectAccessible(page, 'connection (Salesforce)');
    await screenshot(page, '31-connection-salesforce');

    await page.getByRole('link', { name: 'All connections' }).click();
    await page.getByTestId('connections-table').getByRole('link', { name: 'Sales org' }).waitFor();
    await expectAccessible(page, 'connections');
    await screenshot(page, '32-connections');
  });

  it('connects a sandbox HubSpot portal and shows the webhook target URL with the subscriptions to make', async () => {
    const portal = await SandboxHubspot.createPortal(testApp);
    await page.goto('/connections');
    await page.getByLabel('CRM', { exact: true }).selectOption('hubspot');
    await page.getByLabel('Client ID').fill(portal.portal.clientId);
    await page.getByLabel('Client secret').fill(portal.portal.clientSecret);
    await page.getByRole('button', { name: 'Use the sandbox' }).click();
    await page.getByRole('button', { name: 'Connect HubSpot' }).click();
    await page.getByRole('button', { name: 'Connect app' }).click();
    await page
      .getByText(`HubSpot is connected: refsync can now write to account ${portal.portal.portalId}.`)
      .waitFor();
    await page.getByText(`${testApp.url}/hooks/hubspot`, { exact: true }).waitFor();
    await page.getByText('deal.propertyChange').waitFor();
    await expectAccessible(page, 'connection (HubSpot)');
    await screenshot(page, '33-connection-hubspot');
  });

  it('shows a field deleted in Salesforce as an alert in words, on the connection and in the list', async () => {
    const org = await SandboxSalesforce.createOrg(testApp);
    const connectionId = await org.connect(api);
    await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' });
    await org.admin('POST', '/fields', { object: 'Lead', name: 'Partner_Tier', type: 'string' });
    const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'Partners' })).body.id;
    const settings = await api.post('/api/v1/push-settings', {
      programId,
      connectionId,
      crmObject: 'Lead',
      mappings: [{ crmField: 'Partner_Tier__c', from: 'referral.company' }],
    });
    expect(settings.status, JSON.stringify(settings.body)).toBe(201);
    await org.admin('DELETE', '/fields/Lead/Partner_Tier__c');

    await page.goto(`/connections/${connectionId}`);
    await page.getByRole('button', { name: 'Check fields in Salesforce now' }).click();
    const alerts = page.getByRole('region', { name: 'Needs your attention' });
    await alerts.getByText('A field is gone from the CRM').waitFor();
    await alerts
      .getByText(
        /^Salesforce has no field Partner_Tier__c on Lead any more, but the push settings of program "Partners"/,
      )
      .waitFor();
    await expectAccessible(page, 'connection with an alert');
    await screenshot(page, '34-connection-alert');

    await page.getByRole('link', { name: 'All connections' }).click();
    const listed = page.getByRole('region', { name: 'Salesforce needs your attention' });
    await listed.getByText(/^Salesforce has no field Partner_Tier__c on Lead any more/).waitFor();
    await page.getByTestId('connections-table').getByText('1 alert', { exact: true }).waitFor();
    await expectAccessible(page, 'connections with an alert');
    await screenshot(page, '35-connections-alert');
  });
});
