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
} from './helpers/console-loop.ts';
import { SandboxHubspot } from './helpers/crm.ts';
import { referralOf } from './helpers/receiver.ts';

/**
 * The whole loop with a sandbox HubSpot portal, in Chromium: connect it, create refsync's
 * properties, push referrals as contacts with a custom property mapped through the picker,
 * set up the sales receiver with the deal stage picker, dry-run it on a deal, wire the
 * sandbox, move the deal to closedwon on the sandbox's own page and see the entry and the
 * milestone; fix a failed entry, approve a review.
 */

const availability = browserAvailability();
if (availability.message) console.warn(availability.message);

let testApp: TestApp;
let view: ConsoleWindow;
let page: Page;
let api: ApiClient;
let hs: SandboxHubspot;
let connectionId = '';
let member: { id: string; referralCode: string };
let held: { id: string; email: string | null };
let referralId = '';
let contactId = '';
let dealId = '';

const create = async (type: string, properties: Record<string, string>) =>
  (await hs.api<{ id: string }>('POST', `/crm/v3/objects/${type}`, { properties })).id;

/** A deal of the contact, in the first stage. */
async function dealOf(contact: string, name: string): Promise<string> {
  const deal = await create('deals', {
    dealname: name,
    pipeline: 'default',
    dealstage: 'appointmentscheduled',
  });
  await hs.api('PUT', `/crm/v4/objects/deals/${deal}/associations/default/contacts/${contact}`);
  return deal;
}

/** Moves a deal on the sandbox portal's own web page, as a HubSpot user would. */
async function moveDealInSandbox(id: string, stage: string): Promise<void> {
  const sandbox = await view.context.newPage();
  await sandbox.goto(`${SandboxHubspot.baseUrl(testApp)}/_ui/portals/${hs.portal.portalId}?type=deals`);
  const row = sandbox.locator('tr').filter({ has: sandbox.getByRole('cell', { name: id, exact: true }) });
  await row.getByLabel('Deal stage').selectOption(stage);
  await row.getByRole('button', { name: 'Move' }).click();
  await sandbox.waitForURL(/type=deals/);
  await sandbox
    .locator('tr')
    .filter({ has: sandbox.getByRole('cell', { name: id, exact: true }) })
    .getByRole('cell', { name: stage, exact: true })
    .waitFor();
  await screenshot(sandbox, '71-sandbox-hubspot-deals');
  await sandbox.close();
}

describe.runIf(availability.run)('the HubSpot loop in the console', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    await ensureBundle();
    testApp = await startTestApp({
      subscribers: [salesEntrySubscriber, pushSubscriber],
      plugins: sandboxPlugins(memorySandboxStore()),
    });
    hs = await SandboxHubspot.createPortal(testApp);
    for (const [name, label, type, fieldType] of [
      ['seats', 'Seats', 'number', 'number'],
      ['referral_code', 'Referral code', 'string', 'text'],
    ] as const) {
      await hs.api('POST', '/crm/v3/properties/contacts', {
        name,
        label,
        type,
        fieldType,
        groupName: 'contactinformation',
      });
    }
    ({ api, member, held, view } = await loopWorkspace(testApp, 'HubSpot loop', {
      email: 'hana.held@example.com',
      firstName: 'Hana',
      lastName: 'Held',
    }));
    page = view.page;
  }, 240_000);

  afterAll(async () => {
    await view?.close();
    await testApp?.close();
  });

  it("connects the portal and creates refsync's properties on contacts", async () => {
    connectionId = await connectInConsole(page, 'HubSpot', hs.portal, 'Sales portal');
    await page.getByLabel('CRM object').selectOption('contacts');
    await page.getByRole('button', { name: "Create refsync's fields" }).click();
    await page.getByText(/Created on contacts: .*refsync_referral_id/).waitFor();
    await expectAccessible(page, 'connection with settings (HubSpot)');
  });

  it('maps the custom property with the pickers and opens the pushed contact from the referral page', async () => {
    await page.getByRole('link', { name: 'Add push settings' }).click();
    await page.getByLabel('CRM object').selectOption('contacts');
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await page.getByLabel('CRM field of mapping 1').selectOption('seats');
    await page.getByLabel('Comes from of mapping 1').selectOption('referral.custom.seats');
    await page.getByRole('button', { name: 'Create push settings' }).first().click();
    await page.getByText('Push settings created.').first().waitFor();
    await expectAccessible(page, 'push settings (HubSpot)');
    await screenshot(page, '62-loop-hs-push-settings');

    referralId = await addReferralInConsole(page, {
      firstName: 'Lucia',
      lastName: 'Lopez',
      email: 'lucia@lopez.example',
      seats: '7',
    });
    const opened = await openCrmRecord(page, /^contacts \d+/, /\d+/);
    contactId = opened.id;
    const contact = opened.tab;
    await contact.getByRole('cell', { name: 'lucia@lopez.example', exact: true }).waitFor();
    await contact.close();
    const stored = await hs.api<{ properties: Record<string, string> }>(
      'GET',
      `/crm/v3/objects/contacts/${contactId}?properties=seats,refsync_referral_id`,
    );
    expect(stored.properties).toMatchObject({ seats: '7', refsync_referral_id: referralId });
  });

  it('sets up the receiver with the deal stage picker and dry-runs it on the deal', async () => {
    dealId = await dealOf(contactId, 'Lopez deal');
    await page.goto(`/connections/${connectionId}`);
    await page.getByRole('link', { name: 'Set up the sales receiver' }).click();
    await page.getByRole('button', { name: 'Add trigger' }).click();
    await page.getByLabel('Object of trigger 1').selectOption('deals');
    await page.getByLabel('Field of trigger 1').selectOption('dealstage');
    const value = page.getByLabel('Value of trigger 1');
    // Stages are shown as labels with their internal values, under their pipeline.
    await value
      .locator('optgroup[label="Sales Pipeline"] option', { hasText: 'Closed Won (closedwon)' })
      .waitFor({ state: 'attached' });
    await value.selectOption('closedwon');
    await page.getByLabel('Milestone of trigger 1').selectOption('won');
    await addMatch(page, 'target match', {
      object: 'contacts',
      field: 'refsync_referral_id',
      holds: 'referralId',
    });
    await addMatch(page, 'member match', {
      object: 'contacts',
      field: 'referral_code',
      holds: 'referralCode',
    });
    await page.getByLabel('Process fuzzy matches automatically').uncheck();
    await page.getByRole('button', { name: 'Create receiver settings' }).first().click();
    await page.getByText('Receiver settings created.').first().waitFor();
    await expectAccessible(page, 'receiver settings (HubSpot)');
    await screenshot(page, '63-loop-hs-receiver-settings');

    const result = await dryRunOn(page, dealId, dealId, '{"dealstage": "closedwon"}');
    await result.getByText('deals.dealstage is “closedwon”, which moves a referral to won.').waitFor();
    await result.getByText('submitted → won').waitFor();
    await result.getByText('Related contacts').waitFor();
    await expectAccessible(page, 'dry run (HubSpot)');
    await screenshot(page, '64-loop-hs-dry-run');
    expect((await referralOf(api, referralId)).milestone).toBe('submitted');
  });

  it('wires the sandbox; the deal moved to closedwon on the sandbox page moves the referral', async () => {
    await page.goto(`/connections/${connectionId}`);
    await page.getByRole('button', { name: 'Wire the sandbox' }).click();
    await page.getByTestId('wired').getByText(/deal/).first().waitFor();
    await screenshot(page, '65-loop-hs-wired');

    await moveDealInSandbox(dealId, 'closedwon');
    await openEntryWhen(page, new RegExp(`deals? ${dealId}`), 'Success');
    await page.getByTestId('entry-explanation').getByText('Milestone moved from submitted to won.').waitFor();
    expect((await referralOf(api, referralId)).milestone).toBe('won');
  });

  it('fails an entry with an unknown referral code; corrected and retried, it succeeds', async () => {
    const newbie = await create('contacts', {
      email: 'newbie@example.com',
      lastname: 'Newman',
      referral_code: 'NOSUCHCODE',
    });
    const deal = await dealOf(newbie, 'Newman deal');
    await moveDealInSandbox(deal, 'closedwon');
    await openEntryWhen(page, new RegExp(`deals? ${deal}`), 'Failed');
    await page
      .getByTestId('entry-explanation')
      .getByText(/referral code NOSUCHCODE matches no member/)
      .waitFor();
    // The code sits on the deal's contact: an `object.field` value wins over what the CRM holds.
    await page.getByLabel('Add a field (API name)').fill('contacts.referral_code');
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('contacts.referral_code', { exact: true }).fill(member.referralCode);
    await page.getByRole('button', { name: 'Save and retry' }).click();
    await page
      .getByTestId('entry-explanation')
      .getByText('A new referral was added for the member.')
      .waitFor();
    const [entry] = await entriesOfRecord(api, deal);
    expect(entry).toMatchObject({
      status: 'success',
      memberId: member.id,
      matchMethod: 'member_referralCode',
    });
  });

  it('holds a fuzzy match for review; approved, the referral is won', async () => {
    const contact = await create('contacts', {
      email: held.email ?? '',
      firstname: 'Hana',
      lastname: 'Held',
    });
    const deal = await dealOf(contact, 'Held deal');
    await moveDealInSandbox(deal, 'closedwon');
    await openEntryWhen(page, new RegExp(`deals? ${deal}`), 'Review');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page
      .getByTestId('entry-explanation')
      .getByText(/approved in review/)
      .waitFor();
    expect((await referralOf(api, held.id)).milestone).toBe('won');
    await screenshot(page, '66-loop-hs-review-approved');
  });
});
