import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ApiClient, TestApp } from './app.ts';
import { signedInConsole } from './console-browser.ts';
import { newReferral, type SalesEntry } from './receiver.ts';

/** The console pages do not poll: reload, as a person would, until `find()` shows up. */
export async function reloadUntil(page: Page, find: () => Locator, what: string, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await find().first().waitFor({ timeout: 2_000 });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what}: not shown after ${timeoutMs} ms of reloading`);
      await page.reload();
    }
  }
}

/** Connects a sandbox CRM from the Connections page: the consent page opens, Allow returns here. */
export async function connectInConsole(
  page: Page,
  crm: 'Salesforce' | 'HubSpot',
  app: { clientId: string; clientSecret: string },
  name: string,
): Promise<string> {
  await page.goto('/connections');
  await page.getByLabel('CRM', { exact: true }).selectOption(crm === 'Salesforce' ? 'salesforce' : 'hubspot');
  await page.getByLabel('Name (optional)').fill(name);
  await page.getByLabel('Client ID').fill(app.clientId);
  await page.getByLabel('Client secret').fill(app.clientSecret);
  await page.getByRole('button', { name: 'Use the sandbox' }).click();
  await page.getByRole('button', { name: `Connect ${crm}` }).click();
  await page.getByRole('button', { name: crm === 'Salesforce' ? 'Allow' : 'Connect app' }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  await page.getByText(`${crm} is connected`).waitFor();
  return new URL(page.url()).pathname.split('/')[2] ?? '';
}

/** The message shown beside a control (its aria-describedby), which must be marked invalid. */
export async function problemBeside(control: Locator): Promise<string> {
  expect(await control.getAttribute('aria-invalid')).toBe('true');
  const ids = (await control.getAttribute('aria-describedby'))?.split(' ') ?? [];
  const texts = await Promise.all(ids.map((id) => control.page().locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

/** The sales entries of one CRM record, newest first, through the API. */
export async function entriesOfRecord(api: ApiClient, recordId: string): Promise<SalesEntry[]> {
  const listed = await api.get<{ data: SalesEntry[] }>(
    `/api/v1/sales-entries?q=${encodeURIComponent(recordId)}`,
  );
  return listed.body.data;
}

/** Waits on the Sales entries page until the record's entry shows `outcome`, then opens it. */
export async function openEntryWhen(page: Page, label: string | RegExp, outcome: string): Promise<void> {
  await page.goto('/sales-entries');
  const row = () =>
    page.getByTestId('sales-entries-table').locator('tr', { hasText: label }).filter({ hasText: outcome });
  await reloadUntil(page, row, `entry ${String(label)} ${outcome}`);
  await row().getByRole('link', { name: label }).first().click();
  await page.getByTestId('entry-explanation').waitFor();
}

/** Adds a referral on the console's Add referral page; answers its ID once its page shows. */
export async function addReferralInConsole(
  page: Page,
  person: { firstName: string; lastName: string; email: string; company?: string; seats: string },
): Promise<string> {
  await page.goto('/referrals/new');
  await page.getByLabel('First name').fill(person.firstName);
  await page.getByLabel('Last name').fill(person.lastName);
  await page.getByLabel('Email').fill(person.email);
  if (person.company) await page.getByLabel('Company').fill(person.company);
  await page.getByLabel('Seats').fill(person.seats);
  await page.getByRole('button', { name: 'Add referral' }).click();
  await page.getByRole('heading', { name: `${person.firstName} ${person.lastName}`, level: 1 }).waitFor();
  return new URL(page.url()).pathname.split('/')[2] ?? '';
}

/** Waits for the referral page's link to its CRM record and opens it (a new tab); answers the record ID and tab. */
export async function openCrmRecord(
  page: Page,
  name: RegExp,
  id: RegExp,
): Promise<{ id: string; tab: Page }> {
  await reloadUntil(page, () => page.getByRole('link', { name }), 'the CRM record link');
  const link = page.getByRole('link', { name });
  const recordId = ((await link.textContent()) ?? '').match(id)?.[0] ?? '';
  const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
  await tab.waitForLoadState();
  return { id: recordId, tab };
}

/** Adds a target match or member match row: object, field and what the field holds, each picked. */
export async function addMatch(
  page: Page,
  what: 'target match' | 'member match',
  pick: { object: string; field: string; holds: string },
): Promise<void> {
  await page.getByRole('button', { name: `Add ${what}` }).click();
  await page.getByLabel(`Object of ${what} 1`).selectOption(pick.object);
  await page.getByLabel(`Field of ${what} 1`).selectOption(pick.field);
  const holds = what === 'target match' ? 'Holds' : "Holds the member's";
  await page.getByLabel(`${holds} of ${what} 1`).selectOption(pick.holds);
}

/** Runs the dry run on a record found by `q` (ticked by its ID) with values to pretend; answers the result. */
export async function dryRunOn(page: Page, q: string, recordId: string, pretend: string): Promise<Locator> {
  await page.getByLabel('Find a record by email or ID').fill(q);
  await page.getByRole('button', { name: 'Search the CRM' }).click();
  await page.getByRole('radio', { name: new RegExp(recordId) }).check();
  await page.getByLabel('Values to pretend (optional)').fill(pretend);
  await page.getByRole('button', { name: 'Run the dry run' }).click();
  const result = page.getByTestId('dry-run-result');
  await result.getByText('nothing was written', { exact: false }).waitFor();
  return result;
}

/**
 * The workspace a loop runs in: a program whose referrals have a custom number field (Seats),
 * a member, a referral added before anything is pushed (`held`, found in the CRM only by email),
 * and an admin signed in to the console on Connections.
 */
export async function loopWorkspace(
  testApp: TestApp,
  name: string,
  held: { email: string; firstName: string; lastName: string },
) {
  const workspace = await testApp.newWorkspace(name);
  const api = workspace.api;
  const program = await api.post<{ id: string }>('/api/v1/programs', {
    name: 'Partners',
    referralFields: [{ key: 'seats', label: 'Seats', type: 'number' }],
  });
  const programId = program.body.id;
  const member = await api.post<{ id: string; referralCode: string }>('/api/v1/members', {
    programId,
    email: 'mia@partner.example',
  });
  return {
    api,
    member: member.body,
    held: await newReferral(api, { programId, ...held }),
    view: await signedInConsole(testApp, workspace.id, '/connections', 'Connections'),
  };
}
