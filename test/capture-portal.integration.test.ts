import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portalLinks } from '../src/capture/tables.ts';
import { unsubscribeUrl } from '../src/notifications/mailer.ts';
import { type ApiClient, eventually, type TestApp } from './helpers/app.ts';
import {
  type CaptureProgram,
  captureProgram,
  linkIn,
  mailTo,
  newAddress,
  newMember,
  startCaptureSuite,
} from './helpers/capture.ts';

let testApp: TestApp;
let api: ApiClient;
let setup: CaptureProgram;
let workspaceId: string;

beforeAll(async () => {
  ({ testApp, api, setup, workspaceId } = await startCaptureSuite(
    {},
    { firstName: 'Mia', referralCode: 'MIA-PORTAL' },
  ));
}, 120_000);
afterAll(() => testApp?.close());

async function form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${testApp.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': newAddress(),
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { status: response.status, html: await response.text(), headers: response.headers };
}

/** Asks for a link for `email` and answers the link from the outbox. */
async function emailedLink(programId: string, email: string): Promise<string> {
  const before = await fetch(`${testApp.url}/sandbox/mail/messages`).then(
    (r) => r.json() as Promise<{ data: Array<{ id: string }> }>,
  );
  const asked = await form(`/portal/${programId}/sign-in`, { email });
  expect(asked.status).toBe(200);
  const mail = await mailTo(testApp, email, 'member.sign_in', before.data[0]?.id);
  return linkIn(mail.text);
}

/** Spends a link: the session cookie (name=value) it gives. */
async function signIn(
  link: string,
): Promise<{ status: number; cookie: string | null; setCookie: string | null; html: string }> {
  const url = new URL(link);
  const token = url.searchParams.get('token') ?? '';
  const answer = await form(url.pathname, { token });
  const setCookie = answer.headers.get('set-cookie');
  return { status: answer.status, setCookie, cookie: setCookie?.split(';')[0] ?? null, html: answer.html };
}

async function portal(programId: string, cookie: string | null) {
  const response = await fetch(`${testApp.url}/portal/${programId}`, { headers: cookie ? { cookie } : {} });
  return response.text();
}

describe('signing in', () => {
  it('says the same for an unknown email and sends nothing', async () => {
    const unknown = await form(`/portal/${setup.programId}/sign-in`, { email: 'stranger@nowhere.example' });
    const known = await form(`/portal/${setup.programId}/sign-in`, { email: setup.member.email ?? '' });
    const strip = (html: string) => html.replace(/If \S+ belongs/, 'If X belongs');
    expect(strip(unknown.html)).toBe(strip(known.html));
    await mailTo(testApp, setup.member.email ?? '', 'member.sign_in');
    const outbox = await fetch(`${testApp.url}/sandbox/mail/messages`).then(
      (r) => r.json() as Promise<{ data: Array<{ to: string }> }>,
    );
    expect(outbox.data.map((m) => m.to)).not.toContain('stranger@nowhere.example');
  });

  it('a bad email is shown beside the field', async () => {
    const answer = await form(`/portal/${setup.programId}/sign-in`, { email: 'nope' });
    expect(answer.status).toBe(400);
    expect(answer.html).toContain('<div class="error" id="f-email-error">must be an email address</div>');
  });

  it('the emailed link opens a page and is spent only by pressing its button; then it is single-use', async () => {
    const link = await emailedLink(setup.programId, setup.member.email ?? '');
    // Opening the link (as a mail scanner would) does not spend it.
    const opened = await fetch(link);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('Continue to my dashboard');
    const first = await signIn(link);
    expect(first.status).toBe(303);
    expect(first.setCookie).toMatch(
      new RegExp(
        `^refsync_portal=[A-Za-z0-9]{43}; Path=/portal/${setup.programId}; Max-Age=604800; HttpOnly; SameSite=Lax$`,
      ),
    );
    expect(await portal(setup.programId, first.cookie)).toContain('Hi Mia');
    const second = await signIn(link);
    expect(second.status).toBe(400);
    expect(second.setCookie).toBeNull();
    expect(second.html).toContain('This sign-in link has expired or was used already');
  });

  it('an expired link is refused', async () => {
    const link = await emailedLink(setup.programId, setup.member.email ?? '');
    await testApp.app.ctx.db
      .update(portalLinks)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(portalLinks.memberId, setup.member.id));
    const answer = await signIn(link);
    expect(answer.status).toBe(400);
    expect(answer.html).toContain('has expired or was used already');
  });

  it("a link of one program's member does not sign in to another program's portal", async () => {
    const other = await captureProgram(api);
    const link = await emailedLink(setup.programId, setup.member.email ?? '');
    const token = new URL(link).searchParams.get('token') ?? '';
    const answer = await form(`/portal/${other.programId}/auth`, { token });
    expect(answer.status).toBe(400);
  });

  it('a member who unsubscribed from updates still gets the link they asked for', async () => {
    const member = await newMember(api, setup.programId);
    const unsubscribe = await fetch(unsubscribeUrl(testApp.app.ctx, workspaceId, member.email ?? ''), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribe.status).toBe(200);
    const link = await emailedLink(setup.programId, member.email ?? '');
    expect((await signIn(link)).status).toBe(303);
  });

  it('five requests per address or email in ten minutes, then 429', async () => {
    const member = await newMember(api, setup.programId);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await form(`/portal/${setup.programId}/sign-in`, { email: member.email ?? '' })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('the dashboard', () => {
  it("shows the member's link and code, referrals with milestones and feedback, rewards and balance, and nobody else's", async () => {
    await api.post('/api/v1/reward-rules', {
      programId: setup.programId,
      name: 'Thank you',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'fixed', currency: 'USD', amountMinor: 5000 },
    });
    const mine = await api.post<{ id: string }>('/api/v1/referrals', {
      programId: setup.programId,
      memberId: setup.member.id,
      firstName: 'Ada',
      lastName: 'Lovelace',
      company: 'Engines <Ltd>',
      email: 'ada@engines.example',
    });
    await api.post(`/api/v1/referrals/${mine.body.id}/milestone`, {
      milestone: 'qualified',
      feedback: 'Great fit, demo booked for Tuesday',
    });
    await api.post(`/api/v1/referrals/${mine.body.id}/milestone`, {
      milestone: 'won',
      feedback: 'Signed a yearly plan!',
    });
    const other = await newMember(api, setup.programId, { firstName: 'Otto' });
    await api.post('/api/v1/referrals', {
      programId: setup.programId,
      memberId: other.id,
      firstName: 'Secret',
      lastName: 'Prospect',
      email: 'secret@prospect.example',
    });
    await eventually(async () => {
      const rewards = await api.get<{ data: unknown[] }>(`/api/v1/rewards?memberId=${setup.member.id}`);
      return rewards.body.data.length > 0 ? true : undefined;
    }, 20_000);

    const session = await signIn(await emailedLink(setup.programId, setup.member.email ?? ''));
    const html = await portal(setup.programId, session.cookie);
    expect(html).toContain(`value="${testApp.app.ctx.config.publicUrl}/r/MIA-PORTAL"`);
    expect(html).toContain('value="MIA-PORTAL"');
    expect(html).toContain('data-copy="share-link"');
    expect(html).toContain('Ada Lovelace');
    expect(html).toContain('Engines &lt;Ltd&gt;');
    expect(html).toContain('<span class="badge approved">Won</span>');
    expect(html).toContain('Great fit, demo booked for Tuesday');
    expect(html).toContain('Signed a yearly plan!');
    expect(html).toContain('50.00 USD');
    expect(html).not.toContain('Secret');
    expect(html).not.toContain('secret@prospect.example');
  });

  it("shows all of a member's referrals, 25 to a page, newest first", async () => {
    const member = await newMember(api, setup.programId, { firstName: 'Pia' });
    for (let i = 1; i <= 30; i++) {
      const created = await api.post('/api/v1/referrals', {
        programId: setup.programId,
        memberId: member.id,
        firstName: 'Prospect',
        lastName: String(i).padStart(2, '0'),
        email: `prospect-${i}-${member.id}@example.com`,
      });
      expect(created.status).toBe(201);
    }
    const session = await signIn(await emailedLink(setup.programId, member.email ?? ''));
    const names = (html: string) => [...html.matchAll(/<strong>Prospect (\d\d)<\/strong>/g)].map((m) => m[1]);
    const first = await portal(setup.programId, session.cookie);
    expect(names(first)).toEqual(Array.from({ length: 25 }, (_, i) => String(30 - i).padStart(2, '0')));
    expect(first).toContain('<div class="stat"><span class="muted">Referrals</span><b>30</b></div>');
    expect(first).not.toContain('Newest referrals');
    const older = /<a href="(\/portal\/[^"]+\?after=[^"#]+)#referrals">Older referrals<\/a>/.exec(first)?.[1];
    expect(older).toBeDefined();
    const second = await (
      await fetch(`${testApp.url}${older}`, { headers: { cookie: session.cookie ?? '' } })
    ).text();
    expect(names(second)).toEqual(['05', '04', '03', '02', '01']);
    expect(second).toContain(`<a href="/portal/${setup.programId}#referrals">Newest referrals</a>`);
    expect(second).not.toContain('Older referrals');
    // A cursor that is none shows the newest page.
    const bad = await (
      await fetch(`${testApp.url}/portal/${setup.programId}?after=%%%`, {
        headers: { cookie: session.cookie ?? '' },
      })
    ).text();
    expect(names(bad)).toHaveLength(25);
  });

  it('without a session, or after signing out, the sign-in form is shown', async () => {
    expect(await portal(setup.programId, null)).toContain('Email me a sign-in link');
    expect(
      await portal(setup.programId, 'refsync_portal=forged0000000000000000000000000000000000000'),
    ).toContain('Email me a sign-in link');
    // Each email may ask five times in ten minutes: this one is fresh.
    const member = await newMember(api, setup.programId);
    const session = await signIn(await emailedLink(setup.programId, member.email ?? ''));
    expect(await portal(setup.programId, session.cookie)).toContain(`value="${member.referralCode}"`);
    const out = await form(`/portal/${setup.programId}/sign-out`, {}, { cookie: session.cookie ?? '' });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect(await portal(setup.programId, session.cookie)).toContain('Email me a sign-in link');
  });
});
