import type jsforce from 'jsforce';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushSubscriber } from '../src/push/subscriber.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { ensureBundle } from '../web/build.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { browserAvailability, expectAccessible, screenshot } from './helpers/browser.ts';
import type { ConsoleWindow } from './helpers/console-browser.ts';
import {
  addMatch,
  addReferralInConsole,
  connectInConsole,
  dryRunOn,
  entriesOfRecord,
  loopWorkspace,
  openCrmRecord,
  openEntryWhen,
  problemBeside,
} from './helpers/console-loop.ts';
import { SandboxSalesforce } from './helpers/crm.ts';
import { referralOf } from './helpers/receiver.ts';

/**
 * The whole loop with a sandbox Salesforce org, in Chromium: connect it, create refsync's
 * fields, push referrals with a custom field mapped through the picker, set up the sales
 * receiver with the value picker, dry-run it on the Lead, wire the sandbox, change the Lead's
 * status on the sandbox's own page and see the entry and the milestone; fix a failed entry,
 * approve a review.
 */

const availability = browserAvailability();
if (availability.message) console.warn(availability.message);

let testApp: TestApp;
let view: ConsoleWindow;
let page: Page;
let api: ApiClient;
let sf: SandboxSalesforce;
let crm: jsforce.Connection;
let connectionId = '';
let member: { id: string; referralCode: string };
let held: { id: string; email: string | null };
let referralId = '';
let leadId = '';

/** Sets a Lead's status on the sandbox org's own web page, as a Salesforce user would. */
async function setStatusInSandbox(id: string, status: string): Promise<void> {
  const sandbox = await view.context.newPage();
  await sandbox.goto(`${SandboxSalesforce.baseUrl(testApp)}/_ui/orgs/${sf.org.orgId}?object=Lead`);
  const row = sandbox.locator('tr', { hasText: id });
  await row.locator('select[name="Status"]').selectOption(status);
  await row.getByRole('button', { name: 'Set status' }).click();
  await sandbox.waitForURL(/object=Lead/);
  await sandbox.locator('tr', { hasText: id }).getByRole('cell', { name: status, exact: true }).waitFor();
  await screenshot(sandbox, '61-sandbox-salesforce-leads');
  await sandbox.close();
}

async function createLead(fields: Record<string, unknown>): Promise<string> {
  const result = await crm.sobject('Lead').create({ Company: 'Lead Co', ...fields });
  if (!('success' in result) || !result.success || !result.id) throw new Error(JSON.stringify(result));
  return result.id;
}

describe.runIf(availability.run)('the Salesforce loop in the console', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    await ensureBundle();
    testApp = await startTestApp({
      subscribers: [salesEntrySubscriber, pushSubscriber],
      plugins: sandboxPlugins(memorySandboxStore()),
    });
    sf = await SandboxSalesforce.createOrg(testApp, { outbound: { timeScale: 0.002 } });
    await sf.admin('POST', '/fields', { object: 'Lead', name: 'Seats', label: 'Seats', type: 'double' });
    await sf.admin('POST', '/fields', {
      object: 'Lead',
      name: 'Referral_Code',
      label: 'Referral code',
      type: 'string',
    });
    crm = await sf.jsforce();
    ({ api, member, held, view } = await loopWorkspace(testApp, 'Salesforce loop', {
      email: 'rita.review@example.com',
      firstName: 'Rita',
      lastName: 'Review',
    }));
    page = view.page;
  }, 240_000);

  afterAll(async () => {
    await view?.close();
    await testApp?.close();
  });

  it("connects the org and creates refsync's fields on Lead", async () => {
    connectionId = await connectInConsole(page, 'Salesforce', sf.org, 'Sales org');
    await page.getByLabel('CRM object').selectOption('Lead');
    await page.getByRole('button', { name: "Create refsync's fields" }).click();
    await page.getByText(/Created on Lead: .*Refsync_Referral_Id__c/).waitFor();
    await page.getByRole('heading', { name: 'Wire the sandbox' }).waitFor();
    await expectAccessible(page, 'connection with settings (Salesforce)');
    await screenshot(page, '50-loop-sf-connection');
  });

  it('maps the custom field with the pickers; an API error appears beside the field it names', async () => {
    await page.getByRole('link', { name: 'Add push settings' }).click();
    await page.getByRole('heading', { name: 'Push to Salesforce', level: 1 }).waitFor();
    await page.getByLabel('CRM object').selectOption('Lead');
    await page.getByRole('button', { name: 'Add mapping' }).click();
    const crmField = page.getByLabel('CRM field of mapping 1');
    await crmField.locator('option', { hasText: 'Seats (Seats__c) · number' }).waitFor({ state: 'attached' });
    expect(
      await crmField.locator('option', { hasText: 'Last Name (LastName) · string · required' }).count(),
    ).toBe(1);
    await crmField.selectOption('Seats__c');
    const source = page.getByLabel('Comes from of mapping 1');
    await source.selectOption('referral.email');
    await page.getByRole('button', { name: 'Create push settings' }).first().click();
    await page.getByRole('alert').first().waitFor();
    expect(await problemBeside(source)).toContain('referral.email is email but Lead.Seats__c is number');
    // The notice names the row as the form does, not by the API's path.
    await page
      .getByRole('alert')
      .filter({ hasText: 'One field needs a change:' })
      .first()
      .getByText('Mapping 1, Comes from: referral.email is email but Lead.Seats__c is number')
      .waitFor();
    expect(await page.getByText('mappings.0.from').count()).toBe(0);
    await expectAccessible(page, 'push settings (error)');
    await screenshot(page, '51-loop-sf-push-settings-error');

    await source.selectOption('referral.custom.seats');
    await page.getByRole('button', { name: 'Create push settings' }).first().click();
    await page.getByText('Push settings created.').first().waitFor();
    await page.getByRole('heading', { name: 'Push to Salesforce: Lead', level: 1 }).waitFor();
    expect(await page.getByLabel('Comes from of mapping 1').inputValue()).toBe('referral.custom.seats');
    await expectAccessible(page, 'push settings');
    await screenshot(page, '52-loop-sf-push-settings');
  });

  it('adds a referral in the console and opens its Lead from the referral page', async () => {
    referralId = await addReferralInConsole(page, {
      firstName: 'Lucia',
      lastName: 'Lopez',
      email: 'lucia@lopez.example',
      company: 'Lopez Logistics',
      seats: '12',
    });
    const opened = await openCrmRecord(page, /^Lead 00Q/, /00Q\w+/);
    leadId = opened.id;
    const lead = opened.tab;
    await lead
      .locator('tr', { hasText: leadId })
      .getByRole('cell', { name: 'Lopez Logistics', exact: true })
      .waitFor();
    await lead.close();
    const record = await crm.sobject('Lead').retrieve(leadId);
    expect(record).toMatchObject({ Seats__c: 12, Refsync_Referral_Id__c: referralId });
  });

  it('sets up the receiver with the value picker, orders triggers, and dry-runs it on the Lead', async () => {
    await page.goto(`/connections/${connectionId}`);
    await page.getByRole('link', { name: 'Set up the sales receiver' }).click();
    await page.getByRole('heading', { name: 'Sales receiver: Sales org', level: 1 }).waitFor();
    for (const [index, value, milestone] of [
      [1, 'Working - Contacted', 'qualified'],
      [2, 'Closed - Not Converted', 'lost'],
    ] as const) {
      await page.getByRole('button', { name: 'Add trigger' }).click();
      await page.getByLabel(`Object of trigger ${index}`).selectOption('Lead');
      await page.getByLabel(`Field of trigger ${index}`).selectOption('Status');
      await page.getByLabel(`Value of trigger ${index}`).selectOption(value);
      await page.getByLabel(`Milestone of trigger ${index}`).selectOption(milestone);
    }
    // Order: the keyboard button, then back by dragging.
    await page.getByRole('button', { name: 'Move trigger Lead.Status = Closed - Not Converted up' }).click();
    expect(await page.getByLabel('Value of trigger 1').inputValue()).toBe('Closed - Not Converted');
    await page.locator('.drag-handle').nth(1).dragTo(page.locator('.reorder-item').nth(0));
    expect(await page.getByLabel('Value of trigger 1').inputValue()).toBe('Working - Contacted');

    await addMatch(page, 'target match', {
      object: 'Lead',
      field: 'Refsync_Referral_Id__c',
      holds: 'referralId',
    });
    await addMatch(page, 'member match', {
      object: 'Lead',
      field: 'Referral_Code__c',
      holds: 'referralCode',
    });
    await page.getByLabel('Process fuzzy matches automatically').uncheck();
    await page.getByRole('button', { name: 'Create receiver settings' }).first().click();
    await page.getByText('Receiver settings created.').first().waitFor();
    await expectAccessible(page, 'receiver settings');
    await screenshot(page, '53-loop-sf-receiver-settings');

    const result = await dryRunOn(page, 'lucia@lopez.example', leadId, '{"Status": "Working - Contacted"}');
    await result
      .getByText('Lead.Status is “Working - Contacted”, which moves a referral to qualified.')
      .waitFor();
    await result.getByText(/by the refsync referral ID in the record \(referral_id, score 1\)/).waitFor();
    await result.getByText('submitted → qualified').waitFor();
    await result.getByText(/Process direct matches automatically” is on/).waitFor();
    await expectAccessible(page, 'dry run');
    await screenshot(page, '54-loop-sf-dry-run');
    expect((await referralOf(api, referralId)).milestone).toBe('submitted');
    expect(await entriesOfRecord(api, leadId)).toEqual([]);
  });

  it("wires the sandbox; the Lead's status set on the sandbox page moves the referral", async () => {
    await page.goto(`/connections/${connectionId}`);
    await page.getByLabel('Object to watch').selectOption('Lead');
    await page.getByRole('button', { name: 'Wire the sandbox' }).click();
    await page.getByTestId('wired').getByText('Lead').first().waitFor();
    await screenshot(page, '55-loop-sf-wired');

    await setStatusInSandbox(leadId, 'Working - Contacted');
    await openEntryWhen(page, `Lead ${leadId}`, 'Success');
    await page
      .getByTestId('entry-explanation')
      .getByText('Milestone moved from submitted to qualified.')
      .waitFor();
    await page.getByRole('link', { name: 'Open the referral' }).click();
    await page.getByRole('heading', { name: 'Lucia Lopez', level: 1 }).waitFor();
    await page.getByTestId('history').getByText('qualified').first().waitFor();
    expect((await referralOf(api, referralId)).milestone).toBe('qualified');
  });

  it('fails an entry with an unknown referral code; corrected and retried, it succeeds', async () => {
    const newbie = await createLead({
      LastName: 'Newman',
      Email: 'newbie@example.com',
      Referral_Code__c: 'NOSUCHCODE',
    });
    await setStatusInSandbox(newbie, 'Working - Contacted');
    await openEntryWhen(page, `Lead ${newbie}`, 'Failed');
    await page
      .getByTestId('entry-explanation')
      .getByText(/referral code NOSUCHCODE matches no member/)
      .waitFor();
    const code = page.getByLabel('Referral_Code__c', { exact: true });
    if ((await code.count()) === 0) {
      // The outbound message did not carry the field: add it, its value wins over the Lead's.
      await page.getByLabel('Add a field (API name)').fill('Referral_Code__c');
      await page.getByRole('button', { name: 'Add field' }).click();
    }
    await code.fill(member.referralCode);
    await page.getByRole('button', { name: 'Save and retry' }).click();
    await page
      .getByTestId('entry-explanation')
      .getByText('A new referral was added for the member.')
      .waitFor();
    const [entry] = await entriesOfRecord(api, newbie);
    expect(entry).toMatchObject({
      status: 'success',
      memberId: member.id,
      matchMethod: 'member_referralCode',
    });
    await screenshot(page, '56-loop-sf-entry-fixed');
  });

  it('holds a fuzzy match for review; approved, the referral moves', async () => {
    const rita = await createLead({ LastName: 'Review', FirstName: 'Rita', Email: held.email });
    await setStatusInSandbox(rita, 'Working - Contacted');
    await openEntryWhen(page, `Lead ${rita}`, 'Review');
    await page
      .getByTestId('entry-explanation')
      .getByText(/fuzzy match \(fuzzy_email, score 1\)/)
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page
      .getByTestId('entry-explanation')
      .getByText(/approved in review/)
      .waitFor();
    expect((await referralOf(api, held.id)).milestone).toBe('qualified');
    await screenshot(page, '57-loop-sf-review-approved');
  });
});
