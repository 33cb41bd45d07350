import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { ensureBundle } from '../web/build.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { browserAvailability, expectAccessible, screenshot } from './helpers/browser.ts';
import { signedInConsole } from './helpers/console-browser.ts';
import { feed, newProgram, newReceiverSettings, newReferral, outcomeOf } from './helpers/receiver.ts';

/**
 * The console's sales entries, push log and jobs pages in Chromium: entries sent through the
 * API (no CRM) end success, failed and review; a failed one is edited and retried to
 * success, a review approved, several retried at once; the sidebar counts the reviews.
 */

const availability = browserAvailability();
if (availability.message) console.warn(availability.message);

let testApp: TestApp;
let page: Page;
let close: (() => Promise<void>) | undefined;
let api: ApiClient;
let workspaceId: string;

describe.runIf(availability.run)(
  'sales entries, push log and jobs in the console',
  { timeout: 240_000 },
  () => {
    beforeAll(async () => {
      await ensureBundle();
      testApp = await startTestApp({ subscribers: [salesEntrySubscriber] });
      ({ id: workspaceId, api } = await testApp.newWorkspace('Entries workspace'));
      ({ page, close } = await signedInConsole(testApp, workspaceId, '/', 'Dashboard'));
    }, 240_000);

    afterAll(async () => {
      await close?.();
      await testApp?.close();
    });

    it('explains each outcome, fixes a failed entry, approves a review and retries several', async () => {
      const programId = await newProgram(api);
      await newReceiverSettings(api, {
        programId,
        connectionId: null,
        statusTriggers: [{ object: 'order', field: 'stage', value: 'Won', milestone: 'won' }],
        targetMatch: [{ object: 'order', field: 'refsyncId', matchOn: 'referralId' }],
        memberMatch: [{ object: 'order', field: 'code', matchOn: 'referralCode' }],
        processRules: { autoProcessFuzzy: false },
      });
      const member = await api.post<{ id: string; referralCode: string }>('/api/v1/members', {
        programId,
        email: 'ada.member@example.com',
      });
      const direct = await newReferral(api, { programId, email: 'direct@example.com', firstName: 'Dora' });
      const fuzzy = await newReferral(api, { programId, email: 'fuzzy@example.com', firstName: 'Finn' });
      const won = await feed(testApp, workspaceId, {
        objectType: 'order',
        recordId: 'o-won',
        fields: { stage: 'Won', refsyncId: direct.id },
      });
      const unknown = await feed(testApp, workspaceId, {
        objectType: 'order',
        recordId: 'o-unknown-code',
        fields: { stage: 'Won', code: 'NOSUCHCODE', email: 'newbie@example.com', firstName: 'Nia' },
      });
      const review = await feed(testApp, workspaceId, {
        objectType: 'order',
        recordId: 'o-review',
        fields: { stage: 'Won', email: 'fuzzy@example.com' },
      });
      const ignored = await feed(testApp, workspaceId, {
        objectType: 'order',
        recordId: 'o-open',
        fields: { stage: 'Open', refsyncId: direct.id },
      });
      expect((await outcomeOf(api, won)).status).toBe('success');
      expect((await outcomeOf(api, unknown)).status).toBe('failed');
      expect((await outcomeOf(api, review)).status).toBe('review');
      expect((await outcomeOf(api, ignored)).status).toBe('ignored');

      // The sidebar counts the entry waiting for review.
      const nav = page.getByRole('navigation', { name: 'Console' });
      await nav.getByRole('link', { name: /Sales entries/ }).click();
      await page.getByRole('heading', { name: 'Sales entries', level: 1 }).waitFor();
      await expect.poll(() => page.getByTestId('review-badge').textContent()).toBe('1 waiting for review');
      const table = page.getByTestId('sales-entries-table');
      await table.getByRole('link', { name: 'order o-won' }).waitFor();
      await expect.poll(() => table.locator('tbody tr').count()).toBe(4);
      await expectAccessible(page, 'sales entries');
      await screenshot(page, '20-sales-entries');

      // Filters: outcome, then text.
      await page.getByLabel('Outcome').selectOption('failed');
      await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
      await table.getByText('referral code NOSUCHCODE matches no member').waitFor();
      await page.getByLabel('Outcome').selectOption('');
      await page.getByLabel('Search').fill('o-review');
      await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await expect.poll(() => table.locator('tbody tr').count()).toBe(4);

      // The success explains its trigger, match and milestone move.
      await table.getByRole('link', { name: 'order o-won' }).click();
      const why = page.getByTestId('entry-explanation');
      await why.getByText('Trigger: order.stage is “Won”, which moves a referral to won.').waitFor();
      await why.getByText('Matched the referral by the refsync referral ID in the record.').waitFor();
      await why.getByText('Milestone moved from submitted to won.').waitFor();
      await page.getByRole('link', { name: 'Open the referral' }).waitFor();
      await page.getByText('"refsyncId"').first().waitFor();
      await expectAccessible(page, 'sales entry (success)');
      await screenshot(page, '21-sales-entry-success');

      // The failed entry: the unknown code corrected to the member's, saved and retried.
      await page.goto(`/sales-entries/${unknown}`);
      await page
        .getByTestId('entry-explanation')
        .getByText(/Failed: referral code NOSUCHCODE matches no member/)
        .waitFor();
      await expectAccessible(page, 'sales entry (failed)');
      await screenshot(page, '22-sales-entry-failed');
      await page.getByLabel('code', { exact: true }).fill(member.body.referralCode);
      await page.getByRole('button', { name: 'Save and retry' }).click();
      await page.getByText('Success', { exact: true }).first().waitFor();
      await why.getByText('A new referral was added for the member.').waitFor();
      const fixed = await outcomeOf(api, unknown);
      expect(fixed).toMatchObject({
        status: 'success',
        memberId: member.body.id,
        matchMethod: 'member_referralCode',
      });

      // The review: approved, the referral moves, the badge goes.
      await page.goto(`/sales-entries/${review}`);
      await why.getByText(/Waiting for review: fuzzy match \(fuzzy_email, score/).waitFor();
      await expectAccessible(page, 'sales entry (review)');
      await screenshot(page, '23-sales-entry-review');
      await page.getByLabel('Note (optional)').fill('same person, checked by phone');
      await page.getByRole('button', { name: 'Approve' }).click();
      await why.getByText(/approved in review: same person, checked by phone/).waitFor();
      expect((await api.get<{ milestone: string }>(`/api/v1/referrals/${fuzzy.id}`)).body.milestone).toBe(
        'won',
      );
      await expect.poll(() => page.getByTestId('review-badge').count()).toBe(0);

      // Several at once, with progress until each has an outcome.
      await nav.getByRole('link', { name: /Sales entries/ }).click();
      await table.getByRole('link', { name: 'order o-open' }).waitFor();
      await page.getByLabel('Select entry order o-open').check();
      await page.getByLabel('Select entry order o-won').check();
      await page.getByRole('button', { name: 'Retry selected (2)' }).click();
      await page.getByText(/Processed 2 again: /).waitFor();
      await screenshot(page, '24-sales-entries-bulk-retry');
    });

    it('shows the push log and the jobs pages, empty at first', async () => {
      const nav = page.getByRole('navigation', { name: 'Console' });
      await nav.getByRole('link', { name: 'Push log' }).click();
      await page.getByText('Nothing pushed yet.').waitFor();
      await expectAccessible(page, 'push log (empty)');
      await screenshot(page, '25-push-log-empty');
      await nav.getByRole('link', { name: 'Jobs' }).click();
      await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
      await page.getByText('No failed jobs.').waitFor();
      await page.getByLabel('State').selectOption('completed');
      await page.getByTestId('jobs-table').getByText('sales-entries').first().waitFor();
      await expectAccessible(page, 'jobs');
      await screenshot(page, '26-jobs');
    });
  },
);
