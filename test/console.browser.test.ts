import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.ts';
import { referrals } from '../src/referrals/tables.ts';
import { createUser } from '../src/users/service.ts';
import { ensureBundle } from '../web/build.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import {
  browserAvailability,
  expectAccessible,
  launchBrowser,
  screenshot,
  screenshotDir,
} from './helpers/browser.ts';
import { createTestDatabase } from './helpers/database.ts';
import { spawnRefsync } from './helpers/process.ts';

const availability = browserAvailability();
if (availability.message) console.warn(availability.message);

const password = 'correct horse battery';
let testApp: TestApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: testApp.url });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return page;
}

async function signInAs(page: Page, email: string, secret = password, path = '/'): Promise<void> {
  await page.goto(path);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function userOf(role: 'admin' | 'viewer', workspaceId: string): Promise<string> {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await createUser(testApp.app.ctx.db, workspaceId, { email, password, role });
  return email;
}

describe.runIf(availability.run)('the console in a real browser', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    const bundle = await ensureBundle();
    if (bundle.built) console.log(`console bundle built in ${bundle.ms} ms`);
    testApp = await startTestApp();
    browser = await launchBrowser();
    console.log(`Screenshots: ${screenshotDir}`);
  }, 240_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await testApp?.close();
  });

  it('opens the owner link printed at first start, sets the password and lands signed in', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'refsync-console-'));
    const database = await createTestDatabase();
    const databaseUrl = database.databaseUrl;
    await database.database.close();
    const started = spawnRefsync(['start'], {
      REFSYNC_DATA_DIR: dataDir,
      REFSYNC_LOG_LEVEL: 'warn',
      REFSYNC_SECRET_KEY: 'console-test-secret-0123456789',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    });
    try {
      const [, link = ''] = await started.waitFor(
        /Set the owner's password \(one-time link, valid 24 h\): (http:\/\/\S+)/,
        120_000,
      );
      expect(link).toMatch(/\/welcome#token=[A-Za-z0-9]{40}$/);
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(link);
      await expect
        .poll(() => page.getByRole('heading', { name: 'Welcome to Default workspace' }).isVisible(), {
          timeout: 30_000,
        })
        .toBe(true);
      await expectAccessible(page, 'welcome');
      await screenshot(page, '01-welcome-owner-link');
      await page.getByLabel('Your email').fill('owner@example.com');
      await page.getByLabel('New password').fill('owner password 123');
      await page.getByLabel('Repeat the password').fill('owner password 123');
      await page.getByRole('button', { name: 'Set password and sign in' }).click();
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      await expect.poll(() => page.getByText('owner@example.com').isVisible()).toBe(true);
      // The link works once.
      const again = await context.newPage();
      await again.goto(link);
      await again.getByText(/links work once and expire/).waitFor();
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('signs in, refusing a wrong password first', async () => {
    const { id } = await testApp.newWorkspace('Sign-in workspace');
    const email = await userOf('admin', id);
    const page = await newPage();
    await page.goto('/referrals');
    await page.getByRole('heading', { name: 'Sign in to refsync' }).waitFor();
    await expectAccessible(page, 'sign-in');
    await screenshot(page, '02-sign-in');
    await signInAs(page, email, 'wrong password', '/referrals');
    await page.getByRole('alert').filter({ hasText: 'The email or password is wrong' }).waitFor();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back to the page asked for before signing in.
    await page.getByRole('heading', { name: 'Referrals', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/referrals');
  });

  it('runs a program: custom milestones, a member, a referral, a move with feedback, the dashboard', async () => {
    const { id: workspaceId, api } = await testApp.newWorkspace('Acme referrals');
    const email = await userOf('admin', workspaceId);
    const page = await newPage();
    await signInAs(page, email);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByText('No program yet.').waitFor();
    await expectAccessible(page, 'dashboard (empty)');
    await screenshot(page, '03-dashboard-empty');

    // A program with a custom milestone, moved into second place with the keyboard buttons.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Programs' }).click();
    await page.getByText('No program yet').waitFor();
    await page.getByRole('link', { name: 'New program' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Partner program');
    await page.getByRole('button', { name: 'Add milestone' }).click();
    await page.getByLabel('Code of milestone 5').fill('demo');
    await page.getByLabel('Label of milestone 5').fill('Demo booked');
    await page.getByLabel('Kind of milestone 5').selectOption('qualified');
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Move Demo booked up' }).click();
    await page.getByText('Demo booked moved to position 2 of 5').waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Add referral field' }).click();
    await page.getByLabel('Key of referral field 1').fill('dealSize');
    await page.getByLabel('Label of referral field 1').fill('Deal size');
    await page.getByLabel('Type of referral field 1').selectOption('number');
    await expectAccessible(page, 'new program');
    await screenshot(page, '04-program-new');
    await page.getByRole('button', { name: 'Create program' }).first().click();
    await page.waitForURL(/\/programs\/prg_/);
    const programId = page.url().split('/').at(-1) ?? '';
    await page.getByRole('heading', { name: 'Partner program', level: 1 }).waitFor();
    expect(
      await page
        .getByLabel(/^Code of milestone \d$/)
        .evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value)),
    ).toEqual(['submitted', 'demo', 'qualified', 'won', 'lost']);
    // Dragging a row reorders too: Lost dropped on Won goes before it.
    await page.locator('.reorder-item').nth(4).dragTo(page.locator('.reorder-item').nth(3));
    await page.getByText('Lost moved to position 4 of 5').waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Save program' }).first().click();
    await page.getByRole('status').filter({ hasText: 'Program saved.' }).first().waitFor();
    const saved = await api.get<{ milestones: Array<{ code: string }> }>(`/api/v1/programs/${programId}`);
    expect(saved.body.milestones.map((m) => m.code)).toEqual([
      'submitted',
      'demo',
      'qualified',
      'lost',
      'won',
    ]);
    await expectAccessible(page, 'program');
    await screenshot(page, '05-program-edit');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Programs' }).click();
    await page.getByRole('link', { name: 'Partner program' }).waitFor();
    await expectAccessible(page, 'programs');
    await screenshot(page, '05b-programs');

    // A member, then a referral they made.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Members' }).click();
    await page.getByText('No members yet.').waitFor();
    await expectAccessible(page, 'members (empty)');
    await page.getByRole('link', { name: 'Add member' }).click();
    await page.getByLabel('First name').fill('Paula');
    await page.getByLabel('Last name').fill('Partner');
    await page.getByLabel('Email').fill('paula@partner.example');
    await page.getByLabel('Referral code').fill('PAULA-1');
    await expectAccessible(page, 'new member');
    await screenshot(page, '06-member-new');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('heading', { name: 'Paula Partner', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Copy the referral link' }).waitFor();
    await expectAccessible(page, 'member');
    await screenshot(page, '07-member');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Search').fill('paula');
    await page.getByRole('link', { name: 'Paula Partner' }).waitFor();
    await expectAccessible(page, 'members');
    await screenshot(page, '07b-members');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Referrals' }).click();
    await page.getByText(/No referrals yet/).waitFor();
    await page.getByRole('link', { name: 'Add referral' }).click();
    await page.getByLabel('First name').fill('Rita');
    await page.getByLabel('Last name').fill('Referred');
    await page.getByLabel('Email').fill('rita@prospect.example');
    await page.getByLabel('Company').fill('Prospect Ltd');
    await page.getByLabel("Referred by (member's referral code)").fill('PAULA-1');
    await page.getByLabel('Deal size').fill('5000');
    await expectAccessible(page, 'new referral');
    await screenshot(page, '08-referral-new');
    await page.getByRole('button', { name: 'Add referral' }).click();
    await page.getByRole('heading', { name: 'Rita Referred', level: 1 }).waitFor();

    // Move it with feedback and see the history say who, why and what the referrer was told.
    await page.getByLabel('New milestone').selectOption('demo');
    await page.getByLabel('Reason (kept in the history)').fill('Demo set for Tuesday');
    await page.getByLabel('Feedback to the referrer').fill('Thanks Paula, they booked a demo!');
    await page.getByRole('button', { name: 'Move milestone' }).click();
    await page.getByRole('status').filter({ hasText: 'Moved to Demo booked.' }).waitFor();
    const history = page.getByTestId('history');
    await history.getByRole('row').filter({ hasText: 'Thanks Paula, they booked a demo!' }).waitFor();
    const row = history.getByRole('row').filter({ hasText: 'Demo set for Tuesday' });
    expect(await row.textContent()).toContain('Submitted → Demo booked');
    expect(await row.textContent()).toContain(email);
    await expectAccessible(page, 'referral');
    await screenshot(page, '09-referral');

    // The list, filtered by milestone and text.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Referrals' }).click();
    await page.getByLabel('Milestone').selectOption('demo');
    await page.getByTestId('referrals-table').getByRole('link', { name: 'Rita Referred' }).waitFor();
    await page.getByLabel('Search').fill('nobody-matches');
    await page.getByText('No referral matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByTestId('referrals-table').getByRole('link', { name: 'Rita Referred' }).waitFor();
    await expectAccessible(page, 'referrals');
    await screenshot(page, '10-referrals');

    // Two visits of Paula's link (a person's browser; a bot's visit is not counted).
    const paula = await api.get<{ data: Array<{ referralLink: string }> }>(
      '/api/v1/members?referralCode=PAULA-1',
    );
    const paulaLink = paula.body.data[0]?.referralLink ?? '';
    expect(paulaLink).toBe(`${testApp.app.ctx.config.publicUrl}/r/PAULA-1`);
    for (const agent of [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
      'Slackbot-LinkExpanding 1.0',
    ]) {
      const visit = await fetch(paulaLink, { redirect: 'manual', headers: { 'user-agent': agent } });
      expect(visit.status).toBe(302);
    }

    // The dashboard's funnel counts the move; the link funnel the visits, the referral and its move.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard' }).click();
    const linkFunnel = page.getByRole('list', { name: /^Link funnel, / });
    await linkFunnel.waitFor();
    expect(await linkFunnel.getByRole('listitem').allTextContents()).toEqual([
      '2Clicks',
      '1Referrals50% of clicks',
      '1Qualified100% of referrals',
      '0Won0% of qualified',
    ]);
    await page
      .getByText('how many of those ever reached Demo booked, Qualified or Won (qualified) and Won (won)')
      .waitFor();
    const demoBar = page.locator(`svg[data-chart="bars"] g[data-label="Demo booked"]`);
    await demoBar.waitFor();
    expect(await demoBar.getAttribute('data-value')).toBe('1');
    expect(await page.locator('svg[data-chart="bars"] g[data-label="Won"]').getAttribute('data-value')).toBe(
      '0',
    );
    expect(programId).toMatch(/^prg_/);
    await expectAccessible(page, 'dashboard');
    await screenshot(page, '11-dashboard');

    // API keys: created, shown once, revoked.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name of the new key').fill('website form');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent()) ?? '';
    expect(key).toMatch(/^rsk_/);
    const withKey = await testApp.anonymous.withKey(key).get('/api/v1/programs');
    expect(withKey.status).toBe(200);
    await expectAccessible(page, 'api keys');
    await screenshot(page, '12-api-keys');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke website form' }).click();
    await page.getByText(/^Revoked/).waitFor();
    expect((await testApp.anonymous.withKey(key).get('/api/v1/programs')).status).toBe(401);

    // Users: invite a viewer by link.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Email of the person to invite').fill('viewer.friend@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Create invitation link' }).click();
    expect(await page.getByTestId('invitation-url').textContent()).toMatch(/\/welcome#token=/);
    await page.getByRole('cell', { name: 'viewer.friend@example.com', exact: true }).waitFor();
    await expectAccessible(page, 'users');
    await screenshot(page, '13-users');

    // A page that cannot load says so, with a way to try again.
    await page.goto('/referrals/ref_doesnotexist');
    await page.getByRole('alert').filter({ hasText: 'Referral ref_doesnotexist was not found' }).waitFor();
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    await expectAccessible(page, 'error state');
    await screenshot(page, '13b-error-state');

    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Your account' })
      .click();
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    await expectAccessible(page, 'account');
    await screenshot(page, '14-account');
  });

  it('a viewer reads but is refused a write, by the API (403) and in words on the page', async () => {
    const { id: workspaceId, api } = await testApp.newWorkspace('Viewer workspace');
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Read-only program' });
    const referral = await api.post<{ id: string }>('/api/v1/referrals', {
      programId: program.body.id,
      email: 'someone@example.com',
    });
    const email = await userOf('viewer', workspaceId);
    const page = await newPage();
    await signInAs(page, email, password, `/referrals/${referral.body.id}`);
    await page.getByRole('heading', { name: 'someone@example.com', level: 1 }).waitFor();
    await page.getByText('Viewer (read only)').waitFor();
    const answer = page.waitForResponse((response) => response.url().endsWith('/milestone'));
    await page.getByLabel('New milestone').selectOption('qualified');
    await page.getByRole('button', { name: 'Move milestone' }).click();
    expect((await answer).status()).toBe(403);
    await page.getByRole('alert').filter({ hasText: 'Viewers can only look' }).waitFor();
    expect(
      (await api.get<{ milestone: string }>(`/api/v1/referrals/${referral.body.id}`)).body.milestone,
    ).toBe('submitted');
    await screenshot(page, '15-viewer-refused');
    // No button to create what a viewer cannot create.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Programs' }).click();
    await page.getByRole('link', { name: 'Read-only program' }).waitFor();
    expect(await page.getByRole('link', { name: 'New program' }).count()).toBe(0);
  });

  it('shows the first page of 10,000 referrals quickly', async () => {
    const { id: workspaceId, api } = await testApp.newWorkspace('Big workspace');
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Big program' });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      id: newId('referral'),
      workspaceId,
      programId: program.body.id,
      firstName: `First${i}`,
      lastName: `Last${i}`,
      email: `person${i}@example.com`,
      customFields: {},
      milestone: i % 3 === 0 ? 'qualified' : 'submitted',
    }));
    for (let i = 0; i < rows.length; i += 1000) {
      await testApp.app.ctx.db.insert(referrals).values(rows.slice(i, i + 1000));
    }
    const email = await userOf('admin', workspaceId);
    const page = await newPage();
    await signInAs(page, email);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const started = Date.now();
    await page.goto('/referrals');
    await page.getByTestId('referrals-table').getByRole('link', { name: 'First9999 Last9999' }).waitFor();
    const firstRender = Date.now() - started;
    const navigationStart = await page.evaluate(() => Math.round(performance.now()));
    console.log(
      `Referrals list, 10,000 referrals: first render ${firstRender} ms after navigation (page clock ${navigationStart} ms)`,
    );
    expect(await page.getByTestId('referrals-table').locator('tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await page.getByTestId('referrals-table').getByRole('link', { name: 'First9949 Last9949' }).waitFor();
    await screenshot(page, '16-referrals-10000');
  });
});
