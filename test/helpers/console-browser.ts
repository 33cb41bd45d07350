import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../src/users/service.ts';
import type { TestApp } from './app.ts';
import { launchBrowser } from './browser.ts';

export interface ConsoleWindow {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Chromium at 1440x900, signed in to the console as a new admin of the workspace, on `path`. */
export async function signedInConsole(
  testApp: TestApp,
  workspaceId: string,
  path: string,
  heading: string,
): Promise<ConsoleWindow> {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: testApp.url });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const email = `admin-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = 'correct horse battery';
  await createUser(testApp.app.ctx.db, workspaceId, { email, password, role: 'admin' });
  await page.goto(path);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  return {
    browser,
    context,
    page,
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}
