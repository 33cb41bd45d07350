import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureClicks } from '../src/capture/tables.ts';
import { members } from '../src/members/tables.ts';
import type { ApiClient, TestApp } from './helpers/app.ts';
import {
  type CaptureProgram,
  captureProgram,
  type Member,
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

/** Every header but the ones that differ between any two answers (date) and the destination. */
function headersOf(response: Response): Array<[string, string]> {
  return [...response.headers.entries()]
    .filter(([name]) => !['date', 'location'].includes(name))
    .sort(([a], [b]) => a.localeCompare(b));
}

async function stats(memberId: string) {
  return (await api.get<{ clicks: number; referrals: number }>(`/api/v1/members/${memberId}/capture-stats`))
    .body;
}

describe('referral links', () => {
  it('/r/{code} records a click and redirects to the landing URL with the code attached', async () => {
    // Codes match without case; the code goes on as the link gave it (a miss does the same).
    const response = await follow(`/r/${setup.member.referralCode.toLowerCase()}`, {
      referer: 'https://social.example/post/1',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      `https://shop.example/welcome?utm_source=referral&ref=${setup.member.referralCode.toLowerCase()}`,
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

  it("the member's link from the API is the short /r/{code}; the program form still redirects the same way", async () => {
    expect(setup.member.referralLink).toBe(
      `${testApp.app.ctx.config.publicUrl}/r/${setup.member.referralCode}`,
    );
    const before = (await stats(setup.member.id)).clicks;
    for (const path of [
      new URL(setup.member.referralLink).pathname,
      `/r/${setup.programId}?ref=${setup.member.referralCode}`,
    ]) {
      const response = await follow(path);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(
        `https://shop.example/welcome?utm_source=referral&ref=${setup.member.referralCode}`,
      );
    }
    expect((await stats(setup.member.id)).clicks).toBe(before + 2);
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
    for (const [path, code] of [
      ['/r/NOSUCHCODE', 'NOSUCHCODE'],
      ['/r/prg_00000000000000000000000000?ref=X', 'X'],
    ] as const) {
      const response = await follow(path);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(
        `${testApp.app.ctx.config.publicUrl}/r/-/inactive?ref=${code}`,
      );
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

  it('an older code two programs share: only each program link leads anywhere, until one member is left with it', async () => {
    const other = await captureProgram(api, { landingUrl: 'https://other.example/' });
    const mine = await newMember(api, setup.programId);
    // Codes were unique per program before they were unique across the install; such pairs
    // are kept as they were (the member who shares a code holds no key to it).
    await testApp.app.ctx.db
      .update(members)
      .set({ referralCode: 'SHARED-1', referralCodeKey: null })
      .where(inArray(members.id, [mine.id, other.member.id]));
    const link = async (id: string) => (await api.get<Member>(`/api/v1/members/${id}`)).body.referralLink;
    const publicUrl = testApp.app.ctx.config.publicUrl;
    expect(await link(mine.id)).toBe(`${publicUrl}/r/${setup.programId}?ref=SHARED-1`);
    expect(await link(other.member.id)).toBe(`${publicUrl}/r/${other.programId}?ref=SHARED-1`);
    const short = await follow('/r/SHARED-1');
    expect(short.headers.get('location')).toBe(`${publicUrl}/r/-/inactive?ref=SHARED-1`);
    const theirs = await follow(`/r/${other.programId}?ref=shared-1`);
    expect(theirs.headers.get('location')).toBe('https://other.example/?ref=shared-1');
    const ours = new URL(await link(mine.id));
    expect((await follow(`${ours.pathname}${ours.search}`)).headers.get('location')).toBe(
      'https://shop.example/welcome?utm_source=referral&ref=SHARED-1',
    );
    expect((await stats(other.member.id)).clicks).toBe(1);
    // Nobody new gets the code.
    const third = await captureProgram(api);
    const clash = await api.post<{ error: { message: string } }>('/api/v1/members', {
      programId: third.programId,
      email: 'third@example.com',
      referralCode: 'shared-1',
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toBe('referralCode: this code is already taken; choose another');
    // Once one of them changes code, the other has it alone, short link included.
    const renamed = await api.patch<Member>(`/api/v1/members/${mine.id}`, { referralCode: 'NOT-SHARED-1' });
    expect(renamed.body.referralLink).toBe(`${publicUrl}/r/NOT-SHARED-1`);
    expect(await link(other.member.id)).toBe(`${publicUrl}/r/SHARED-1`);
    expect((await follow('/r/SHARED-1')).headers.get('location')).toBe('https://other.example/?ref=SHARED-1');
    expect((await follow('/r/not-shared-1')).headers.get('location')).toBe(
      'https://shop.example/welcome?utm_source=referral&ref=not-shared-1',
    );
  });

  it('a miss answers header by header as a hit does: the program form leads to the landing URL with the code', async () => {
    const program = await captureProgram(api, { landingUrl: 'https://land.example/start?x=1' });
    const code = program.member.referralCode;
    const hit = await follow(`/r/${program.programId}?ref=${code}`);
    const miss = await follow(`/r/${program.programId}?ref=ZZZZ9999`);
    expect(miss.status).toBe(hit.status);
    expect(hit.headers.get('location')).toBe(`https://land.example/start?x=1&ref=${code}`);
    expect(miss.headers.get('location')).toBe('https://land.example/start?x=1&ref=ZZZZ9999');
    expect(headersOf(miss)).toEqual(headersOf(hit));
    expect(await miss.text()).toBe(await hit.text());
    // The miss was no click; it counts towards the address's miss limit instead.
    expect((await stats(program.member.id)).clicks).toBe(1);
  });

  it('a short code nobody has answers header by header as a member of a program without a landing URL', async () => {
    const bare = await api.post<{ id: string }>('/api/v1/programs', { name: 'Bare' });
    const member = await newMember(api, bare.body.id);
    const hit = await follow(`/r/${member.referralCode}`);
    const miss = await follow('/r/ZZZZ8888');
    const publicUrl = testApp.app.ctx.config.publicUrl;
    expect(hit.headers.get('location')).toBe(`${publicUrl}/r/-/inactive?ref=${member.referralCode}`);
    expect(miss.headers.get('location')).toBe(`${publicUrl}/r/-/inactive?ref=ZZZZ8888`);
    expect(miss.status).toBe(hit.status);
    expect(headersOf(miss)).toEqual(headersOf(hit));
    expect(await miss.text()).toBe(await hit.text());
    // A member whose program has a landing URL: only the destination differs.
    const landing = await follow(`/r/${setup.member.referralCode}`);
    expect(headersOf(landing)).toEqual(headersOf(miss));
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
