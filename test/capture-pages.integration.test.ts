import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, TestApp } from './helpers/app.ts';
import {
  type CaptureProgram,
  mailTo,
  newAddress,
  newMember,
  referralsOf,
  startCaptureSuite,
} from './helpers/capture.ts';

let testApp: TestApp;
let api: ApiClient;
let setup: CaptureProgram;

beforeAll(async () => {
  ({ testApp, api, setup } = await startCaptureSuite({
    brandName: 'Acme <b>Partners</b>',
    color: '#0f766e',
    texts: { consent: 'My friend said yes to being contacted by Acme.' },
  }));
}, 120_000);
afterAll(() => testApp?.close());

async function post(path: string, fields: Record<string, string>, address = newAddress()) {
  const response = await fetch(`${testApp.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { status: response.status, html: await response.text(), headers: response.headers };
}

const friend = (over: Record<string, string> = {}) => ({
  code: setup.member.referralCode,
  firstName: 'Linus',
  lastName: 'Torvalds',
  email: `linus-${Math.random().toString(36).slice(2, 8)}@friend.example`,
  company: 'Kernel Inc',
  note: 'Looking for a CRM',
  consent: 'yes',
  ...over,
});

describe('refer-a-friend page', () => {
  it('shows labelled fields, the program branding and the configured consent text, escaped', async () => {
    const response = await fetch(
      `${testApp.url}/p/${setup.programId}/refer?code=${setup.member.referralCode}`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    for (const name of ['code', 'firstName', 'lastName', 'email', 'company', 'note', 'consent']) {
      expect(html).toContain(`<label for="f-${name}"`);
      expect(html).toContain(`id="f-${name}"`);
    }
    expect(html).toContain(`value="${setup.member.referralCode}"`);
    expect(html).toContain('My friend said yes to being contacted by Acme.');
    expect(html).toContain('Acme &lt;b&gt;Partners&lt;/b&gt;');
    expect(html).not.toContain('<b>Partners</b>');
    expect(html).toContain('--brand:#0f766e');
  });

  it('a submission missing fields shows each error beside its field and keeps what was typed', async () => {
    const { status, html } = await post(
      `/p/${setup.programId}/refer`,
      friend({ email: '', consent: '', company: 'Kernel <Inc>' }),
    );
    expect(status).toBe(400);
    expect(html).toContain('Please correct the 2 fields marked below.');
    expect(html).toMatch(/id="f-email"[^>]*aria-describedby="f-email-error"[^>]*aria-invalid="true"/);
    expect(html).toContain(`<div class="error" id="f-email-error">enter your friend&#39;s email</div>`);
    expect(html).toContain('<div class="error" id="f-consent-error">please confirm your friend agreed</div>');
    expect(html).toContain('value="Kernel &lt;Inc&gt;"');
    expect(html).not.toContain('f-company-error');
    // A browser sends no field at all for an unticked box.
    const { consent: _unticked, ...withoutConsent } = friend();
    const unticked = await post(`/p/${setup.programId}/refer`, withoutConsent);
    expect(unticked.status).toBe(400);
    expect(unticked.html).toContain(
      '<div class="error" id="f-consent-error">please confirm your friend agreed</div>',
    );
  });

  it('an unknown code is shown beside the code field', async () => {
    const { status, html } = await post(`/p/${setup.programId}/refer`, friend({ code: 'NOPE' }));
    expect(status).toBe(400);
    expect(html).toContain('id="f-code-error"');
    expect(html).toContain('we do not know this code');
  });

  it('a correct submission creates the referral for the member, with the note and the consent given', async () => {
    const fields = friend();
    const { status, html } = await post(`/p/${setup.programId}/refer`, fields);
    expect(status).toBe(200);
    expect(html).toContain('Referral sent');
    const referral = (await referralsOf(api, setup.programId)).find((r) => r.email === fields.email);
    expect(referral).toMatchObject({
      memberId: setup.member.id,
      firstName: 'Linus',
      company: 'Kernel Inc',
      source: 'referral_form',
    });
    expect(referral?.sourceNote).toBe(
      'Looking for a CRM\n\nConsent given: My friend said yes to being contacted by Acme.',
    );
  });

  it('a filled honeypot is thanked and nothing is kept', async () => {
    const fields = friend({ website: 'http://spam.example' });
    const { status, html } = await post(`/p/${setup.programId}/refer`, fields);
    expect(status).toBe(200);
    expect(html).toContain('Referral sent');
    expect((await referralsOf(api, setup.programId)).map((r) => r.email)).not.toContain(fields.email);
  });

  it('a prospect referred twice stays with the first referrer; a self-referral goes to review', async () => {
    const second = await newMember(api, setup.programId);
    const fields = friend();
    await post(`/p/${setup.programId}/refer`, fields);
    const again = await post(
      `/p/${setup.programId}/refer`,
      friend({ code: second.referralCode, email: fields.email.toUpperCase() }),
    );
    expect(again.html).toContain('Referral sent');
    const matching = (await referralsOf(api, setup.programId)).filter(
      (r) => r.email?.toLowerCase() === fields.email,
    );
    expect(matching.map((r) => r.memberId)).toEqual([setup.member.id]);

    const self = await post(
      `/p/${setup.programId}/refer`,
      friend({ code: second.referralCode, email: second.email ?? '' }),
    );
    expect(self.html).toContain('Referral sent');
    expect((await referralsOf(api, setup.programId)).map((r) => r.email)).not.toContain(second.email);
    const reviews = await api.get<{ data: Array<{ email: string; via: string; memberId: string }> }>(
      `/api/v1/programs/${setup.programId}/capture-reviews`,
    );
    expect(reviews.body.data.find((r) => r.email === second.email)).toMatchObject({
      via: 'form',
      memberId: second.id,
    });
  });

  it('one address may post 10 times in 10 minutes; the 11th answers 429', async () => {
    const address = newAddress();
    for (let i = 0; i < 10; i++) {
      expect((await post(`/p/${setup.programId}/refer`, friend({ email: '' }), address)).status).toBe(400);
    }
    const limited = await post(`/p/${setup.programId}/refer`, friend(), address);
    expect(limited.status).toBe(429);
    expect(limited.html).toContain('Too many submissions');
  });
});

describe('join page', () => {
  it('makes a member and shows their link and code with copy buttons', async () => {
    const email = `new-${Math.random().toString(36).slice(2, 8)}@member.example`;
    const { status, html } = await post(`/p/${setup.programId}/join`, {
      firstName: 'Nia',
      lastName: 'Long',
      email,
    });
    expect(status).toBe(201);
    const members = await api.get<{
      data: Array<{ email: string; referralCode: string; firstName: string }>;
    }>(`/api/v1/members?programId=${setup.programId}&email=${encodeURIComponent(email)}`);
    const member = members.body.data[0];
    expect(member?.firstName).toBe('Nia');
    expect(html).toContain(`value="${testApp.app.ctx.config.publicUrl}/r/${member?.referralCode}"`);
    expect(html).toContain(`value="${member?.referralCode}"`);
    expect(html).toContain('data-copy="share-link"');
    expect(html).toContain('/p/assets/share.js');
    // The short link works.
    const followed = await fetch(`${testApp.url}/r/${member?.referralCode}`, { redirect: 'manual' });
    expect(followed.headers.get('location')).toContain(`ref=${member?.referralCode}`);
  });

  it('an email that is already a member gets a sign-in link by email instead of a second membership', async () => {
    const email = setup.member.email ?? '';
    const { status, html } = await post(`/p/${setup.programId}/join`, { firstName: 'Mia', email });
    expect(status).toBe(200);
    expect(html).toContain('Check your inbox');
    expect(html).not.toContain(setup.member.referralCode);
    const mail = await mailTo(testApp, email, 'member.sign_in');
    expect(mail.subject).toBe('Your sign-in link for Acme Partners');
  });

  it('errors are shown beside the fields', async () => {
    const { status, html } = await post(`/p/${setup.programId}/join`, { firstName: '', email: 'nope' });
    expect(status).toBe(400);
    expect(html).toContain('<div class="error" id="f-firstName-error">enter your first name</div>');
    expect(html).toContain('<div class="error" id="f-email-error">must be an email address</div>');
  });

  it("asks for the program's custom member fields, each error beside its field", async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', {
      name: 'With fields',
      memberFields: [
        { key: 'company', label: 'Company', type: 'text', required: true },
        { key: 'seats', label: 'Seats', type: 'number', required: true },
        { key: 'since', label: 'Customer since', type: 'date', required: false },
        { key: 'newsletter', label: 'Send me the newsletter', type: 'boolean', required: false },
      ],
    });
    const id = program.body.id;
    await api.patch(`/api/v1/programs/${id}/capture-settings`, { hostedPages: 'refer_and_join' });
    const form = await (await fetch(`${testApp.url}/p/${id}/join`)).text();
    expect(form).toContain(
      '<label for="f-cf_company">Company <span class="req" aria-hidden="true">*</span></label><input id="f-cf_company" name="cf_company" type="text" value="" required>',
    );
    expect(form).toContain('<input id="f-cf_seats" name="cf_seats" type="number" value="" required>');
    expect(form).toContain('<input id="f-cf_since" name="cf_since" type="date" value="">');
    expect(form).toContain('<input type="checkbox" id="f-cf_newsletter" name="cf_newsletter" value="yes">');

    const email = `fields-${Math.random().toString(36).slice(2, 8)}@member.example`;
    const typed = { firstName: 'Ola', email, cf_company: '', cf_seats: 'many', cf_since: '' };
    const missing = await post(`/p/${id}/join`, typed);
    expect(missing.status).toBe(400);
    expect(missing.html).toContain('Please correct the 2 fields marked below.');
    expect(missing.html).toContain(
      '<input id="f-cf_company" name="cf_company" type="text" value="" required aria-describedby="f-cf_company-error" aria-invalid="true"><div class="error" id="f-cf_company-error">please fill this in</div>',
    );
    expect(missing.html).toContain('<div class="error" id="f-cf_seats-error">must be a number</div>');
    expect(missing.html).toContain('value="many"');
    expect(missing.html).toContain('value="Ola"');

    const badDate = await post(`/p/${id}/join`, {
      ...typed,
      cf_company: 'Ola AS',
      cf_seats: '12',
      cf_since: '2024-13-45',
    });
    expect(badDate.status).toBe(400);
    expect(badDate.html).toContain(
      '<div class="error" id="f-cf_since-error">must be a date (YYYY-MM-DD or ISO 8601)</div>',
    );
    expect(badDate.html).toContain('value="Ola AS"');
    const none = await api.get<{ data: unknown[] }>(`/api/v1/members?programId=${id}`);
    expect(none.body.data).toEqual([]);

    const joined = await post(`/p/${id}/join`, {
      ...typed,
      cf_company: 'Ola AS',
      cf_seats: '12',
      cf_since: '2024-03-01',
      cf_newsletter: 'yes',
    });
    expect(joined.status).toBe(201);
    expect(joined.html).toContain('Welcome, Ola!');
    const members = await api.get<{ data: Array<{ customFields: Record<string, unknown> }> }>(
      `/api/v1/members?programId=${id}`,
    );
    expect(members.body.data.map((member) => member.customFields)).toEqual([
      { company: 'Ola AS', seats: 12, since: '2024-03-01', newsletter: true },
    ]);
  });
});

describe('pages that are off', () => {
  it('answer 404 like a program that does not exist', async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Quiet' });
    expect((await fetch(`${testApp.url}/p/${program.body.id}/refer`)).status).toBe(404);
    await api.patch(`/api/v1/programs/${program.body.id}/capture-settings`, { hostedPages: 'refer' });
    expect((await fetch(`${testApp.url}/p/${program.body.id}/refer`)).status).toBe(200);
    expect((await fetch(`${testApp.url}/p/${program.body.id}/join`)).status).toBe(404);
    expect((await post(`/p/${program.body.id}/join`, { firstName: 'A', email: 'a@b.example' })).status).toBe(
      404,
    );
    expect((await fetch(`${testApp.url}/p/prg_00000000000000000000000000/refer`)).status).toBe(404);
  });
});
