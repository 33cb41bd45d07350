import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ApiClient } from './app.ts';
import type { SalesEntry } from './receiver.ts';

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
