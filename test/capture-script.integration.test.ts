import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, TestApp } from './helpers/app.ts';
import {
  type CaptureProgram,
  captureProgram,
  newAddress,
  newMember,
  referralsOf,
  startCaptureSuite,
} from './helpers/capture.ts';

let testApp: TestApp;
let api: ApiClient;
let setup: CaptureProgram;
const origin = 'https://shop.example';

beforeAll(async () => {
  ({ testApp, api, setup } = await startCaptureSuite());
}, 120_000);
afterAll(() => testApp?.close());

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } };
  headers: Headers;
}

async function call(
  key: string,
  action: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${testApp.url}/api/v1/capture/${key}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, 'x-forwarded-for': newAddress(), ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

const now = () => Math.floor(Date.now() / 1000);
const DAY = 24 * 3600;

describe('the conversion script', () => {
  it('is served versioned, cacheable, loadable from any site, and under 5 kB gzipped', async () => {
    for (const path of ['/js/refsync.1.js', '/js/v1/refsync.js']) {
      const response = await fetch(`${testApp.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/javascript');
      expect(response.headers.get('cache-control')).toBe('public, max-age=86400');
      expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      const source = await response.text();
      expect(source).toContain('refsync_ref');
      expect(source).not.toMatch(/\bimport\b|\brequire\(/);
      expect(gzipSync(source).length).toBeLessThan(5 * 1024);
    }
  });
});

describe('publishable keys', () => {
  it('are created, listed and revoked through the API; a revoked key stops at once', async () => {
    const created = await api.post<{ id: string; key: string; name: string; revokedAt: null }>(
      `/api/v1/programs/${setup.programId}/publishable-keys`,
      { name: 'Landing pages' },
    );
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^pk_[0-9a-z]{32}$/);
    const list = await api.get<{ data: Array<{ id: string }> }>(
      `/api/v1/programs/${setup.programId}/publishable-keys`,
    );
    expect(list.body.data.map((key) => key.id)).toContain(created.body.id);
    expect((await call(created.body.key, 'visits', { code: 'X' })).status).toBe(200);
    const revoked = await api.post<{ revokedAt: string | null }>(
      `/api/v1/publishable-keys/${created.body.id}/revoke`,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const refused = await call(created.body.key, 'signups', {
      email: 'late@friend.example',
      code: setup.member.referralCode,
    });
    expect(refused.status).toBe(401);
    expect(refused.body.error?.message).toBe('The publishable key is unknown or revoked');
    expect((await call('pk_unknownunknownunknownunknown00', 'visits', { code: 'X' })).status).toBe(401);
  });

  it("another workspace cannot list or revoke a program's keys", async () => {
    const stranger = (await testApp.newWorkspace('Other')).api;
    expect((await stranger.get(`/api/v1/programs/${setup.programId}/publishable-keys`)).status).toBe(404);
    expect((await stranger.post(`/api/v1/publishable-keys/${setup.keyId}/revoke`)).status).toBe(404);
    expect((await call(setup.key, 'visits', { code: 'X' })).status).toBe(200);
  });
});

describe('signups through the script', () => {
  it('answer how long the code is kept, the same for any code', async () => {
    await api.patch(`/api/v1/programs/${setup.programId}/capture-settings`, { attributionDays: 60 });
    const known = await call(setup.key, 'visits', { code: setup.member.referralCode });
    const unknown = await call(setup.key, 'visits', { code: 'NOBODY' });
    expect(known.status).toBe(200);
    expect(known.body).toEqual({ attributionDays: 60 });
    expect(unknown.body).toEqual(known.body);
    expect(known.headers.get('access-control-allow-origin')).toBe(origin);
    await api.patch(`/api/v1/programs/${setup.programId}/capture-settings`, { attributionDays: 30 });
  });

  it('create the referral attributed to the member, and the answer tells nothing else', async () => {
    const answer = await call(setup.key, 'signups', {
      email: 'Ada@Friend.example',
      firstName: 'Ada',
      lastName: 'Lovelace',
      company: 'Engines Ltd',
      code: setup.member.referralCode.toLowerCase(),
      clickedAt: now() - 3 * DAY,
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ received: true });
    const referral = (await referralsOf(api, setup.programId)).find((r) => r.email === 'Ada@Friend.example');
    expect(referral).toMatchObject({
      memberId: setup.member.id,
      firstName: 'Ada',
      company: 'Engines Ltd',
      source: 'referral_link',
      milestone: 'submitted',
    });
    // An unknown code, a duplicate email and no code at all answer exactly the same.
    for (const body of [
      { email: 'nobody@friend.example', code: 'NOBODY' },
      { email: 'ada@friend.example', code: setup.member.referralCode },
      { email: 'direct@friend.example' },
    ]) {
      const same = await call(setup.key, 'signups', body);
      expect(same.status).toBe(202);
      expect(same.body).toEqual({ received: true });
    }
    const emails = (await referralsOf(api, setup.programId)).map((r) => r.email?.toLowerCase());
    expect(emails.filter((email) => email === 'ada@friend.example')).toHaveLength(1);
    expect(emails).not.toContain('nobody@friend.example');
    expect(emails).not.toContain('direct@friend.example');
  });

  it('a duplicate prospect email stays with the first referrer', async () => {
    const second = await newMember(api, setup.programId);
    await call(setup.key, 'signups', { email: 'grace@friend.example', code: setup.member.referralCode });
    await call(setup.key, 'signups', { email: 'GRACE@friend.example', code: second.referralCode });
    const matching = (await referralsOf(api, setup.programId)).filter(
      (r) => r.email?.toLowerCase() === 'grace@friend.example',
    );
    expect(matching).toHaveLength(1);
    expect(matching[0]?.memberId).toBe(setup.member.id);
  });

  it('a click older than the attribution window does not attribute', async () => {
    await call(setup.key, 'signups', {
      email: 'old@friend.example',
      code: setup.member.referralCode,
      clickedAt: now() - 31 * DAY,
    });
    expect((await referralsOf(api, setup.programId)).map((r) => r.email)).not.toContain('old@friend.example');
    await api.patch(`/api/v1/programs/${setup.programId}/capture-settings`, { attributionDays: 60 });
    await call(setup.key, 'signups', {
      email: 'old@friend.example',
      code: setup.member.referralCode,
      clickedAt: now() - 31 * DAY,
    });
    expect((await referralsOf(api, setup.programId)).map((r) => r.email)).toContain('old@friend.example');
    await api.patch(`/api/v1/programs/${setup.programId}/capture-settings`, { attributionDays: 30 });
  });

  it('a key creates referrals only for its own program', async () => {
    const other = await captureProgram(api);
    await call(setup.key, 'signups', { email: 'cross@friend.example', code: other.member.referralCode });
    expect((await referralsOf(api, other.programId)).map((r) => r.email)).not.toContain(
      'cross@friend.example',
    );
    expect((await referralsOf(api, setup.programId)).map((r) => r.email)).not.toContain(
      'cross@friend.example',
    );
  });

  it('a member signing up through their own link goes to review; accepting makes the referral', async () => {
    const email = setup.member.email ?? '';
    expect((await call(setup.key, 'signups', { email, code: setup.member.referralCode })).body).toEqual({
      received: true,
    });
    expect((await referralsOf(api, setup.programId)).map((r) => r.email)).not.toContain(email);
    const reviews = await api.get<{
      data: Array<{ id: string; email: string; status: string; via: string; reason: string }>;
    }>(`/api/v1/programs/${setup.programId}/capture-reviews?status=review`);
    const review = reviews.body.data.find((r) => r.email === email);
    expect(review).toMatchObject({
      status: 'review',
      via: 'script',
      reason: "the referral's email is the member's own",
    });
    const accepted = await api.post<{ status: string; referralId: string }>(
      `/api/v1/capture-reviews/${review?.id}/accept`,
    );
    expect(accepted.body.status).toBe('accepted');
    const referral = (await referralsOf(api, setup.programId)).find((r) => r.id === accepted.body.referralId);
    expect(referral?.memberId).toBe(setup.member.id);
    const again = await api.post<{ error: { code: string } }>(`/api/v1/capture-reviews/${review?.id}/reject`);
    expect(again.status).toBe(409);
  });

  it('a bad body is refused naming the field, with CORS headers so the page can read it', async () => {
    const answer = await call(setup.key, 'signups', {
      firstName: 'No email',
      code: setup.member.referralCode,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('validation_failed');
    expect(answer.body.error?.message).toContain('email');
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
    const badEmail = await call(setup.key, 'signups', { email: 'not-an-email' });
    expect(badEmail.body.error?.message).toContain('email: must be an email address');
  });
});

describe('origins', () => {
  it('a preflight from an allowed origin is answered for that origin only', async () => {
    const allowed = await fetch(`${testApp.url}/api/v1/capture/${setup.key}/signups`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type');
    const other = await fetch(`${testApp.url}/api/v1/capture/${setup.key}/signups`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a signup from an origin the program does not allow, or with none, is refused and creates nothing', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'https://shop.example:8443' }]) {
      const answer = await call(
        setup.key,
        'signups',
        { email: 'evil@friend.example', code: setup.member.referralCode },
        headers,
      );
      expect(answer.status).toBe(403);
      expect(answer.body.error?.code).toBe('forbidden');
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
    const none = await fetch(`${testApp.url}/api/v1/capture/${setup.key}/signups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'evil@friend.example', code: setup.member.referralCode }),
    });
    expect(none.status).toBe(403);
    expect((await referralsOf(api, setup.programId)).map((r) => r.email)).not.toContain(
      'evil@friend.example',
    );
  });
});

describe('rate limits', () => {
  it('past 30 calls a minute from one address, the key answers 429 to that address', {
    timeout: 120_000,
  }, async () => {
    // Counts are per minute: start early in one, so the 31 calls fall in the same window.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 30_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200));
    const address = newAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      statuses.push((await call(setup.key, 'visits', { code: 'X' }, { 'x-forwarded-for': address })).status);
    }
    expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect((await call(setup.key, 'visits', { code: 'X' })).status).toBe(200);
  });
});
