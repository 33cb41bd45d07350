import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationSubscriber } from '../src/notifications/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';

/** Without REFSYNC_SMTP_URL, email lands in the outbox shown at /sandbox/mail. */

let testApp: TestApp;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [notificationSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
  });
  api = (await testApp.newWorkspace()).api;
});
afterAll(() => testApp.close());

interface OutboxItem {
  id: string;
  to: string;
  subject: string;
  text: string;
}

describe('the mail sandbox', () => {
  it('lists the emails the loop sent, with their HTML locked down and their raw source', async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Demo' });
    const member = await api.post<{ referralCode: string }>('/api/v1/members', {
      programId: program.body.id,
      firstName: 'Eve <script>',
      email: 'eve@demo.example',
    });
    const referral = await api.post<{ id: string }>('/api/v1/referrals', {
      programId: program.body.id,
      referralCode: member.body.referralCode,
      firstName: 'Mallory',
      email: 'mallory@prospect.example',
    });
    await api.post(`/api/v1/referrals/${referral.body.id}/milestone`, {
      milestone: 'qualified',
      feedback: '<img src=x onerror=alert(1)> call booked',
    });

    const item = await eventually(async () => {
      const answer = await fetch(`${testApp.url}/sandbox/mail/messages`);
      const body = (await answer.json()) as { data: OutboxItem[] };
      return body.data.find((mail) => mail.to === 'eve@demo.example');
    });
    expect(item.subject).toBe('Your referral Mallory is now Qualified');
    expect(item.text).toContain('Feedback: <img src=x onerror=alert(1)> call booked');

    const list = await fetch(`${testApp.url}/sandbox/mail`);
    expect(await list.text()).toContain('Your referral Mallory is now Qualified');

    const html = await fetch(`${testApp.url}/sandbox/mail/${item.id}`);
    expect(html.headers.get('content-security-policy')).toContain('sandbox');
    const page = await html.text();
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; call booked');
    expect(page).toContain('Eve &lt;script&gt;');
    expect(page).not.toContain('<script>');

    const raw = await (await fetch(`${testApp.url}/sandbox/mail/${item.id}/raw`)).text();
    expect(raw).toMatch(/^List-Unsubscribe:\s+<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=/m);
    expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(raw).toContain(`Message-ID: <${item.id}@refsync>`);
  });
});
