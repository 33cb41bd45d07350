import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumPath = CHROMIUM;

/** The flags Chromium needs on a machine with a closed network, run as root. */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Whether browser tests can run here. Without Chromium they are skipped with a plain message,
 * except under CI, where a missing browser is a failure.
 */
export function chromiumPresent(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing; browser tests cannot run under CI without it`);
  console.log(`Browser tests skipped: ${CHROMIUM} is missing.`);
  return false;
}

/**
 * Whether the browser tests can run here. Without Chromium they are skipped with a plain
 * message, except under CI, where a missing browser is a failure (CI installs it).
 */
export function browserAvailability(): { run: boolean; message: string | undefined } {
  if (existsSync(chromiumPath)) return { run: true, message: undefined };
  const message = `Browser tests skipped: no Chromium at ${chromiumPath} (install it with: apt-get install -y chromium)`;
  if (process.env.CI) throw new Error(`${message}. CI must run them.`);
  return { run: false, message };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

/** A person's browser, not a headless one: link clicks from it count. */
export const DESKTOP_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export interface BrowserSession {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Debian's Chromium on a fresh profile. `hosts` are names the browser resolves to loopback,
 * so a landing page can live on a site (and cookie jar) of its own.
 */
export async function launchChromium(hosts: string[] = []): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'refsync-chromium-'));
  const rules = hosts.map((host) => `MAP ${host} 127.0.0.1`).join(',');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    userAgent: DESKTOP_AGENT,
    // The pages' CSP allows only refsync's own scripts; axe is injected by the test.
    bypassCSP: true,
    viewport: { width: 1100, height: 900 },
    args: [...chromiumArgs, ...(rules ? [`--host-resolver-rules=${rules}`] : [])],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const screenshotDir = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  // From the top, so the sticky sidebar sits where a person sees it.
  await page.evaluate(() =>
    (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
  );
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** A tiny web server on loopback serving the pages in `pages` by path. */
export async function servePages(
  pages: Record<string, string>,
): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const html = pages[path];
    response.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Accessibility problems axe-core finds on the page that are serious or critical: "rule: target" lines. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate<
    Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>
  >('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)');
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((node) => `${v.id}: ${node.target.join(' ')}`));
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core over the page as it is: no serious or critical violation may remain. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  // Evaluated through the browser's debugging protocol, so the page's CSP stays as it is.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target),
    }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${name}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}
