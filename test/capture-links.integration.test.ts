import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureClicks } from '../src/capture/tables.ts';
import type { ApiClient, TestApp } from './helpers/app.ts';
import {
  type CaptureProgram,
  captureProgram,
  newAddress,
  newMember,
  startCaptureSuite,
} from './helpers/capture.ts';

const browser =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

let testApp: TestApp;
let api: ApiClient;
let setup: CaptureProgram;

beforeAll(async () => {
  ({ testApp, api, setup } = await startCaptureSuite());
}, 120_000);
afterAll(() => testApp?.close());

async function follow(path: string, headers: Record<string, string> = {}) {
  return fetch(`${testApp.url}${path}`, {
    redirect: 'manual',
    headers: { 'user-agent': browser, 'x-forwarded-for': newAddress(), ...headers },
  });
}

async function stats(memberId: string) {
  return (await api.get<{ clicks: number; referrals: number }>(`/api/v1/members/${memberId}/capture-stats`))
    .body;
}

describe('referral links', () => {
  it('/r/{code} records a click and redirects to the landing URL with the code attached', async () => {
    const response = await follow(`/r/${setup.member.referralCode.toLowerCase()}`, {
      referer: 'https://social.example/post/1',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      `https://shop.example/welcome?utm_source=referral&ref=${setup.member.referralCode}`,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await stats(setup.member.id)).clicks).toBe(1);
    const [click] = await testApp.app.ctx.db
      .select()
      .from(captureClicks)
      .where(eq(captureClicks.memberId, setup.member.id));
    expect(click?.referrer).toBe('https://social.example/post/1');
    expect(click?.userAgent).toBe(browser);
    // The address is kept only as a keyed hash.
    expect(click?.ipHash).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(click)).not.toMatch(/10\.\d+\.\d+\.\d+/);
  });

  it("the member's link from the API (/r/{programId}?ref=CODE) redirects the same way", async () => {
    const before = (await stats(setup.member.id)).clicks;
    const link = new URL(setup.member.referralLink);
    const response = await follow(`${link.pathname}${link.search}`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      `https://shop.example/welcome?utm_source=referral&ref=${setup.member.referralCode}`,
    );
    expect((await stats(setup.member.id)).clicks).toBe(before + 1);
  });

  it('bots and link previews are redirected but not counted', async () => {
    const before = (await stats(setup.member.id)).clicks;
    for (const agent of ['Slackbot-LinkExpanding 1.0', 'curl/8.5.0', 'facebookexternalhit/1.1', '']) {
      const response = await follow(`/r/${setup.member.referralCode}`, { 'user-agent': agent });
      expect(response.status).toBe(302);
    }
    expect((await stats(setup.member.id)).clicks).toBe(before);
  });

  it('an unknown code answers with the same status, to a page that names no program', async () => {
    for (const path of [
      '/r/NOSUCHCODE',
      `/r/${setup.programId}?ref=NOSUCHCODE`,
      '/r/prg_00000000000000000000000000?ref=X',
    ]) {
      const response = await follow(path);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(`${testApp.app.ctx.config.publicUrl}/r/-/inactive`);
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    const page = await fetch(`${testApp.url}/r/-/inactive`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('This link does not lead anywhere right now');
    expect(html).not.toContain('Acme');
  });

  it('guessing is rate-limited: past 20 misses an address gets 429 for every link, known codes too', async () => {
    const address = newAddress();
    for (let i = 0; i < 20; i++) {
      const response = await follow(`/r/GUESS${i}`, { 'x-forwarded-for': address });
      expect(response.status).toBe(302);
    }
    const unknown = await follow('/r/GUESS99', { 'x-forwarded-for': address });
    expect(unknown.status).toBe(429);
    expect(unknown.headers.get('retry-after')).toBe('600');
    const known = await follow(`/r/${setup.member.referralCode}`, { 'x-forwarded-for': address });
    expect(known.status).toBe(429);
    // Another address is not affected.
    expect((await follow(`/r/${setup.member.referralCode}`)).status).toBe(302);
  });

  it('a code two programs share is not resolved by /r/{code}; each program link still works', async () => {
    const other = await captureProgram(
      api,
      { landingUrl: 'https://other.example/' },
      { referralCode: 'SHARED-1' },
    );
    const mine = await newMember(api, setup.programId, { referralCode: 'SHARED-1' });
    const short = await follow('/r/SHARED-1');
    expect(short.headers.get('location')).toBe(`${testApp.app.ctx.config.publicUrl}/r/-/inactive`);
    const theirs = await follow(`/r/${other.programId}?ref=shared-1`);
    expect(theirs.headers.get('location')).toBe('https://other.example/?ref=SHARED-1');
    const ours = new URL(mine.referralLink);
    expect((await follow(`${ours.pathname}${ours.search}`)).headers.get('location')).toBe(
      'https://shop.example/welcome?utm_source=referral&ref=SHARED-1',
    );
  });

  it('a program without a landing URL sends the visitor to the neutral page', async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'No landing' });
    const member = await newMember(api, program.body.id);
    const response = await follow(`/r/${member.referralCode}`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      `${testApp.app.ctx.config.publicUrl}/r/-/inactive?ref=${member.referralCode}`,
    );
  });
});

describe('capture settings', () => {
  it('are read with their defaults and the public URLs', async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Defaults' });
    const response = await api.get<Record<string, unknown>>(
      `/api/v1/programs/${program.body.id}/capture-settings`,
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      landingUrl: null,
      attributionDays: 30,
      allowedOrigins: [],
      hostedPages: 'off',
      brandName: 'Defaults',
      urls: {
        referPage: `${testApp.app.ctx.config.publicUrl}/p/${program.body.id}/refer`,
        script: `${testApp.app.ctx.config.publicUrl}/js/refsync.1.js`,
      },
    });
  });

  it('refuse bad values naming the field, and change nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ attributionDays: 45 }, 'attributionDays'],
      [{ allowedOrigins: ['https://shop.example/path'] }, 'allowedOrigins.0'],
      [{ landingUrl: 'javascript:alert(1)' }, 'landingUrl'],
      [{ color: 'red;}body{display:none' }, 'color'],
      [{ hostedPages: 'all' }, 'hostedPages'],
      [{ texts: { unknownText: 'x' } }, 'texts'],
    ];
    for (const [body, field] of cases) {
      const response = await api.patch<{ error: { code: string; message: string } }>(
        `/api/v1/programs/${setup.programId}/capture-settings`,
        body,
      );
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.message).toContain(field);
    }
    const now = await api.get<{ attributionDays: number; color: string }>(
      `/api/v1/programs/${setup.programId}/capture-settings`,
    );
    expect(now.body.attributionDays).toBe(30);
  });

  it("another workspace's program answers 404", async () => {
    const stranger = (await testApp.newWorkspace('Other')).api;
    expect((await stranger.get(`/api/v1/programs/${setup.programId}/capture-settings`)).status).toBe(404);
    expect(
      (await stranger.patch(`/api/v1/programs/${setup.programId}/capture-settings`, { attributionDays: 60 }))
        .status,
    ).toBe(404);
    expect((await stranger.get(`/api/v1/members/${setup.member.id}/capture-stats`)).status).toBe(404);
  });
});
