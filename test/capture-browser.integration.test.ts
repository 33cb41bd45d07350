import type jsforce from 'jsforce';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, eventually, type TestApp } from './helpers/app.ts';
import {
  accessibilityProblems,
  type BrowserSession,
  chromiumPresent,
  launchChromium,
  screenshot,
  servePages,
} from './helpers/browser.ts';
import {
  type CaptureProgram,
  captureProgram,
  linkIn,
  mailTo,
  referralsOf,
  startCaptureApp,
} from './helpers/capture.ts';
import { SandboxSalesforce } from './helpers/crm.ts';

/** The whole referrer's side in Debian's Chromium: links, the script on a site, hosted pages, the portal. */

const present = chromiumPresent();
const DAY = 24 * 3600;

let testApp: TestApp;
let api: ApiClient;
let browser: BrowserSession;
let setup: CaptureProgram;
const pages: Record<string, string> = {};
let site: Awaited<ReturnType<typeof servePages>>;
let shop: string;
let elsewhere: string;

function landingPage(refsync: string, key: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="${refsync}/js/refsync.1.js" data-key="${key}"></script></head>
<body style="font-family:sans-serif;margin:40px"><h1>Welcome to the shop</h1>
<form id="signup"><label>Email <input id="email" type="email"></label>
<label>First name <input id="first"></label><button type="submit">Start free trial</button></form>
<p id="result"></p>
<script>
document.getElementById('signup').addEventListener('submit', (event) => {
  event.preventDefault();
  const out = document.getElementById('result');
  refsync
    .signup({ email: document.getElementById('email').value, firstName: document.getElementById('first').value, company: 'Trial Co' })
    .then((answer) => { out.textContent = 'received: ' + answer.received; }, (error) => { out.textContent = 'refused: ' + error.message; });
});
</script></body></html>`;
}

beforeAll(async () => {
  if (!present) return;
  testApp = await startCaptureApp();
  api = (await testApp.newWorkspace()).api;
  site = await servePages(pages);
  shop = `http://shop.test:${site.port}`;
  elsewhere = `http://elsewhere.test:${site.port}`;
  setup = await captureProgram(
    api,
    {
      landingUrl: `${shop}/landing`,
      allowedOrigins: [shop],
      attributionDays: 30,
      brandName: 'Acme Partners',
      color: '#0f766e',
    },
    { firstName: 'Mia', referralCode: 'MIA-BROWSER' },
  );
  pages['/landing'] = landingPage(testApp.url, setup.key);
  pages['/other'] = landingPage(testApp.url, setup.key);
  browser = await launchChromium(['shop.test', 'elsewhere.test']);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await site?.close();
  await testApp?.close();
});

async function signUp(page: Page, email: string): Promise<string> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('First name').fill('Sam');
  await page.getByRole('button', { name: 'Start free trial' }).click();
  await page.waitForFunction("document.getElementById('result').textContent !== ''");
  return (await page.locator('#result').textContent()) ?? '';
}

async function referralFor(email: string) {
  return (await referralsOf(api, setup.programId)).find((referral) => referral.email === email);
}

async function setRefCookie(page: Page, value: string, expires: number) {
  await browser.context.addCookies([
    { name: 'refsync_ref', value: encodeURIComponent(value), domain: 'shop.test', path: '/', expires },
  ]);
  await page.goto(`${shop}/landing`);
}

describe.skipIf(!present)('the conversion script on a site', () => {
  it("follows a member's link, lands, and signs up attributed to the member", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${testApp.url}/r/${setup.member.referralCode}`);
    expect(page.url()).toBe(`${shop}/landing?ref=${setup.member.referralCode}`);
    await page.waitForFunction("document.cookie.includes('refsync_ref=')");
    const [cookie] = (await browser.context.cookies(shop)).filter((c) => c.name === 'refsync_ref');
    expect(decodeURIComponent(cookie?.value ?? '')).toMatch(
      new RegExp(`^${setup.member.referralCode}\\.\\d+$`),
    );
    // The cookie lasts the program's attribution window: 30 days.
    expect(Math.abs((cookie?.expires ?? 0) - (Date.now() / 1000 + 30 * DAY))).toBeLessThan(120);
    expect(await signUp(page, 'first@visitor.example')).toBe('received: true');
    await screenshot(page, 'script-landing-signed-up');
    expect(await eventually(() => referralFor('first@visitor.example'))).toMatchObject({
      memberId: setup.member.id,
      source: 'referral_link',
      company: 'Trial Co',
    });
    const stats = await api.get<{ clicks: number }>(`/api/v1/members/${setup.member.id}/capture-stats`);
    expect(stats.body.clicks).toBe(1);
    await page.close();
  });

  it('still attributes after a reload and on a later visit inside the window', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${shop}/landing`);
    await page.reload();
    expect(await signUp(page, 'reload@visitor.example')).toBe('received: true');
    expect((await referralFor('reload@visitor.example'))?.memberId).toBe(setup.member.id);

    // 29 days after the click: the cookie has a day left.
    const clickedAt = Math.floor(Date.now() / 1000) - 29 * DAY;
    await setRefCookie(
      page,
      `${setup.member.referralCode}.${clickedAt}`,
      Math.floor(Date.now() / 1000) + DAY,
    );
    expect(await signUp(page, 'later@visitor.example')).toBe('received: true');
    expect((await referralFor('later@visitor.example'))?.memberId).toBe(setup.member.id);
    await page.close();
  });

  it('does not attribute once the window is over', async () => {
    const page = await browser.context.newPage();
    // The browser drops the cookie when it expires...
    const clickedAt = Math.floor(Date.now() / 1000) - 31 * DAY;
    await setRefCookie(page, `${setup.member.referralCode}.${clickedAt}`, Math.floor(Date.now() / 1000) - 60);
    expect(await page.evaluate<string>('document.cookie')).not.toContain('refsync_ref');
    expect(await signUp(page, 'expired@visitor.example')).toBe('received: true');
    // ...and refsync refuses a cookie kept past its time.
    await setRefCookie(
      page,
      `${setup.member.referralCode}.${clickedAt}`,
      Math.floor(Date.now() / 1000) + DAY,
    );
    expect(await signUp(page, 'kept@visitor.example')).toBe('received: true');
    const emails = (await referralsOf(api, setup.programId)).map((referral) => referral.email);
    expect(emails).not.toContain('expired@visitor.example');
    expect(emails).not.toContain('kept@visitor.example');
    await page.close();
  });

  it('refuses a site whose origin the program does not allow', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${elsewhere}/other?ref=${setup.member.referralCode}`);
    const answer = await signUp(page, 'elsewhere@visitor.example');
    expect(answer).toBe(
      `refused: refsync: no answer for ${elsewhere}; check that it is among the program's allowed origins and the key is live`,
    );
    await screenshot(page, 'script-origin-refused');
    expect((await referralsOf(api, setup.programId)).map((referral) => referral.email)).not.toContain(
      'elsewhere@visitor.example',
    );
    await page.close();
  });
});

describe.skipIf(!present)('the hosted refer-a-friend form', () => {
  it('shows what is missing beside the field, then takes the corrected referral', {
    timeout: 60_000,
  }, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${testApp.url}/p/${setup.programId}/refer?code=${setup.member.referralCode}`);
    await screenshot(page, 'refer-form');
    await page.getByLabel('First name').fill('Linus');
    await page.getByLabel('Company').fill('Kernel Inc');
    await page.getByRole('button', { name: 'Send referral' }).click();
    await expect.poll(() => page.locator('#f-email-error').textContent()).toBe("enter your friend's email");
    expect(await page.locator('#f-consent-error').textContent()).toBe('please confirm your friend agreed');
    expect(await page.getByLabel('First name').inputValue()).toBe('Linus');
    await screenshot(page, 'refer-form-errors');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByLabel('Email').fill('linus@kernel.example');
    await page.getByLabel(/My friend agreed/).check();
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.getByRole('heading', { name: 'Referral sent' }).waitFor();
    await screenshot(page, 'refer-form-sent');
    expect(await referralFor('linus@kernel.example')).toMatchObject({
      memberId: setup.member.id,
      source: 'referral_form',
    });
    await page.close();
  });

  it('the join page gives a new member their link and code', async () => {
    await api.patch(`/api/v1/programs/${setup.programId}/capture-settings`, {
      hostedPages: 'refer_and_join',
    });
    const page = await browser.context.newPage();
    await page.goto(`${testApp.url}/p/${setup.programId}/join`);
    await screenshot(page, 'join-form');
    await page.getByLabel('First name').fill('Nia');
    await page.getByLabel('Email').fill('nia@new-member.example');
    await page.getByRole('button', { name: 'Get my referral link' }).click();
    await page.getByRole('heading', { name: 'Welcome, Nia!' }).waitFor();
    const link = await page.getByLabel('Your referral link', { exact: true }).inputValue();
    expect(link).toMatch(new RegExp(`^${testApp.url}/r/[A-Z0-9]{8}$`));
    await screenshot(page, 'join-welcome');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.close();
  });
});

describe.skipIf(!present)('the referrer portal', () => {
  it('is reached through the emailed link and shows feedback moved by a CRM event', async () => {
    const sf = await SandboxSalesforce.createOrg(testApp, { outbound: { timeScale: 0.002 } });
    const connectionId = await sf.connect(api);
    const hooks = await api.get<{ transitionUrl: string }>(`/api/v1/connections/${connectionId}/hooks`);
    await sf.admin('POST', '/fields', { object: 'Lead', name: 'Refsync_Referral_Id', type: 'string' });
    await sf.admin('POST', '/fields', { object: 'Lead', name: 'Partner_Feedback', type: 'textarea' });
    await sf.admin('POST', '/outbound-messages', {
      object: 'Lead',
      condition: { kind: 'field-equals', field: 'Status', value: 'Working - Contacted' },
      fields: ['Refsync_Referral_Id__c', 'Partner_Feedback__c', 'Status'],
      endpointUrl: `${hooks.body.transitionUrl}?status=qualified&feedbackField=Partner_Feedback__c`,
    });
    const created = await api.post<{ id: string }>('/api/v1/referrals', {
      programId: setup.programId,
      memberId: setup.member.id,
      firstName: 'Pat',
      lastName: 'Prospect',
      company: 'Prospect GmbH',
      email: 'pat@prospect.example',
    });
    const referral = { id: created.body.id };

    const page = await browser.context.newPage();
    await page.goto(`${testApp.url}/portal/${setup.programId}`);
    await screenshot(page, 'portal-sign-in');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByLabel('Email').fill(setup.member.email ?? '');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    const mail = await mailTo(testApp, setup.member.email ?? '', 'member.sign_in');
    await page.goto(linkIn(mail.text));
    await page.getByRole('button', { name: 'Continue to my dashboard' }).click();
    await page.getByRole('heading', { name: 'Hi Mia' }).waitFor();
    expect(await page.getByLabel('Your referral code', { exact: true }).inputValue()).toBe('MIA-BROWSER');
    expect(await page.getByLabel('Your referral link', { exact: true }).inputValue()).toBe(
      `${testApp.url}/r/MIA-BROWSER`,
    );
    const cookies = await browser.context.cookies(`${testApp.url}/portal/${setup.programId}`);
    expect(cookies.find((c) => c.name === 'refsync_portal')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });

    const crm: jsforce.Connection = await sf.jsforce();
    const lead = await crm.sobject('Lead').create({
      LastName: 'Prospect',
      Company: 'Prospect GmbH',
      Refsync_Referral_Id__c: referral.id,
      Partner_Feedback__c: 'Great fit: demo booked for Tuesday',
    });
    if (!lead.success || !lead.id) throw new Error(JSON.stringify(lead));
    await crm.sobject('Lead').update({ Id: lead.id, Status: 'Working - Contacted' });
    await eventually(async () => {
      const moved = await api.get<{ milestone: string }>(`/api/v1/referrals/${referral.id}`);
      return moved.body.milestone === 'qualified' ? true : undefined;
    }, 30_000);
    await page.reload();
    await page.getByText('Great fit: demo booked for Tuesday').waitFor();
    const row = page.locator('tr', { hasText: 'Great fit: demo booked for Tuesday' });
    expect(await row.locator('.badge').textContent()).toBe('Qualified');
    await page.getByRole('button', { name: 'Copy code' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    await screenshot(page, 'portal-dashboard');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.close();
  });
});
