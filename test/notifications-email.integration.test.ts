import { sql } from 'drizzle-orm';
import type jsforce from 'jsforce';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.ts';
import { notificationSubscriber } from '../src/notifications/subscriber.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxSalesforce } from './helpers/crm.ts';
import { feed, newProgram, newReceiverSettings, outcomeOf, referralOf } from './helpers/receiver.ts';
import { SmtpSink } from './helpers/smtp-sink.ts';

/** Emails through a real SMTP server on loopback, caused by the whole loop. */

/** A header's value as it was written (mailparser folds List-* headers into a structure). */
function rawHeader(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((entry) => entry.key === name)?.line;
  return line?.slice(line.indexOf(':') + 1).trim();
}

const smtp = new SmtpSink();
let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let sf: SandboxSalesforce;
let connectionId: string;
let crm: jsforce.Connection;
let transitionUrl: string;

beforeAll(async () => {
  await smtp.start();
  testApp = await startTestApp({
    subscribers: [salesEntrySubscriber, notificationSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
    env: { REFSYNC_SMTP_URL: smtp.url, REFSYNC_MAIL_FROM: 'loop@refsync.example' },
  });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
  sf = await SandboxSalesforce.createOrg(testApp, { outbound: { timeScale: 0.002 } });
  connectionId = await sf.connect(api);
  transitionUrl = (await api.get<{ transitionUrl: string }>(`/api/v1/connections/${connectionId}/hooks`)).body
    .transitionUrl;
  crm = await sf.jsforce();
  await sf.admin('POST', '/fields', { object: 'Lead', name: 'Refsync_Referral_Id', type: 'string' });
  await sf.admin('POST', '/fields', { object: 'Lead', name: 'Partner_Feedback', type: 'textarea' });
});
afterAll(async () => {
  await testApp.close();
  await smtp.close();
});

describe('email to the referrer', () => {
  it('carries the feedback of a milestone moved by a Salesforce outbound message', async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Partner <Club>' });
    const sender = await api.request('PUT', `/api/v1/programs/${program.body.id}/email-settings`, {
      body: {
        fromName: 'Partner Club',
        fromAddress: 'partners@club.example',
        notifyReferrer: true,
        notifyReferred: false,
      },
    });
    expect(sender.status, JSON.stringify(sender.body)).toBe(200);
    const member = await api.post<{ referralCode: string }>('/api/v1/members', {
      programId: program.body.id,
      firstName: 'Ada',
      email: 'ada@partner.example',
    });
    const referral = await api.post<{ id: string }>('/api/v1/referrals', {
      programId: program.body.id,
      referralCode: member.body.referralCode,
      firstName: 'Bob',
      lastName: 'Buyer',
      email: 'bob@prospect.example',
    });
    await sf.admin('POST', '/outbound-messages', {
      object: 'Lead',
      condition: { kind: 'field-equals', field: 'Status', value: 'Working - Contacted' },
      fields: ['Refsync_Referral_Id__c', 'Partner_Feedback__c', 'Status'],
      endpointUrl: `${transitionUrl}?status=qualified&feedbackField=Partner_Feedback__c`,
    });
    const lead = await crm.sobject('Lead').create({
      LastName: 'Buyer',
      Company: 'Prospect Ltd',
      Refsync_Referral_Id__c: referral.body.id,
      Partner_Feedback__c: 'Great intro <b>thanks</b>, demo on Tuesday',
    });
    if (!lead.success || !lead.id) throw new Error(JSON.stringify(lead));
    await crm.sobject('Lead').update({ Id: lead.id, Status: 'Working - Contacted' });

    const mail = await eventually(async () => smtp.to('ada@partner.example')[0], 20_000);
    expect((await referralOf(api, referral.body.id)).milestone).toBe('qualified');
    expect(mail.subject).toBe('Your referral Bob Buyer is now Qualified');
    expect(mail.from?.text).toBe('"Partner Club" <partners@club.example>');
    expect(mail.text).toContain('Feedback: Great intro <b>thanks</b>, demo on Tuesday');
    expect(mail.html).toContain('Great intro &lt;b&gt;thanks&lt;/b&gt;, demo on Tuesday');
    expect(mail.html).not.toContain('<b>thanks</b>');
    expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(smtp.to('bob@prospect.example')).toEqual([]);
  });

  it('sends one email per event, and none after the recipient unsubscribed', async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Friends' });
    const member = await api.post<{ referralCode: string }>('/api/v1/members', {
      programId: program.body.id,
      firstName: 'Grace',
      email: 'grace@friends.example',
    });
    const referral = await api.post<{ id: string }>('/api/v1/referrals', {
      programId: program.body.id,
      referralCode: member.body.referralCode,
      email: 'carl@prospect.example',
    });
    await api.post(`/api/v1/referrals/${referral.body.id}/milestone`, { milestone: 'qualified' });
    const mail = await eventually(async () => smtp.to('grace@friends.example')[0]);
    // No feedback: no feedback line.
    expect(mail.text).not.toContain('Feedback:');
    const header = rawHeader(mail, 'list-unsubscribe') ?? '';
    const link = /<(http[^>]+)>/.exec(header)?.[1];
    if (!link) throw new Error(`no unsubscribe link in ${header}`);
    expect(link.startsWith(`${testApp.url}/unsubscribe?token=`)).toBe(true);

    const pageAnswer = await fetch(link);
    expect(pageAnswer.status).toBe(200);
    expect(await pageAnswer.text()).toContain('grace@friends.example');
    // What a mail client's one-click unsubscribe sends (RFC 8058).
    const oneClick = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect((await fetch(`${testApp.url}/unsubscribe?token=forged`)).status).toBe(404);

    await api.post(`/api/v1/referrals/${referral.body.id}/milestone`, { milestone: 'won' });
    // The second email is written as skipped, and never reaches the server.
    await eventually(async () => {
      const rows = await queryRows<{ status: string }>(
        testApp.app.ctx.db,
        sql`select status from emails where recipient = 'grace@friends.example' order by id`,
      );
      const statuses = rows.map((row) => row.status);
      return statuses.join() === 'sent,skipped' ? statuses : undefined;
    });
    expect(smtp.to('grace@friends.example')).toHaveLength(1);
  });

  it('writes each template once per event and recipient, whatever the retries', async () => {
    const all = await queryRows<{ n: number }>(
      testApp.app.ctx.db,
      sql`select count(*)::int as n from emails`,
    );
    expect(all[0]?.n).toBeGreaterThanOrEqual(3);
    const twice = await queryRows(
      testApp.app.ctx.db,
      sql`select event_id, recipient, template from emails group by 1, 2, 3 having count(*) > 1`,
    );
    expect(twice).toEqual([]);
  });
});

describe('admin alerts', () => {
  it('tell the admins when an entry goes to review', async () => {
    const put = await api.request('PUT', '/api/v1/notification-settings', {
      body: { adminEmails: ['ops@company.example'], alerts: ['review_needed'] },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const bad = await api.request<{ error: { message: string } }>('PUT', '/api/v1/notification-settings', {
      body: { adminEmails: ['not an address'], alerts: [] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('adminEmails');

    const programId = await newProgram(api);
    await newReceiverSettings(api, {
      programId,
      connectionId: null,
      statusTriggers: [{ object: 'order', field: 'stage', value: 'Won', milestone: 'won' }],
      targetMatch: [{ object: 'order', field: 'refsyncId', matchOn: 'referralId' }],
      memberMatch: [{ object: 'order', field: 'referralCode', matchOn: 'referralCode' }],
      processRules: { reviewWhenNoMemberMatch: true, notifyOnReview: true },
    });
    const entryId = await feed(testApp, workspaceId, {
      objectType: 'order',
      recordId: 'order-1',
      fields: { stage: 'Won', referralCode: 'NOBODY1', email: 'nobody@example.com' },
    });
    expect((await outcomeOf(api, entryId)).status).toBe('review');
    const alert = await eventually(async () => smtp.to('ops@company.example')[0]);
    expect(alert.subject).toBe('A sales entry needs your review');
    expect(alert.text).toContain(entryId);
    expect(alert.text).toContain('NOBODY1 matches no member');
  });
});

describe('events for people', () => {
  it('writes sales_entry.failed when an entry ends failed', async () => {
    const other = await testApp.newWorkspace();
    const entryId = await feed(testApp, other.id, {
      objectType: 'order',
      recordId: 'o-9',
      fields: { stage: 'Won' },
    });
    expect((await outcomeOf(other.api, entryId)).status).toBe('failed');
    const written = await queryRows<{ payload: { entryId: string; reason: string } }>(
      testApp.app.ctx.db,
      sql`select payload from events where type = 'sales_entry.failed' and subject_id = ${entryId}`,
    );
    expect(written).toEqual([
      { payload: { entryId, reason: 'no enabled receiver settings for API entries' } },
    ]);
  });
});

describe('templates', () => {
  it('preview with sample data, HTML-escaped in the HTML part', async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Preview' });
    const preview = await api.post<{ subject: string; text: string; html: string }>(
      `/api/v1/programs/${program.body.id}/email-templates/referral.milestone_changed/preview`,
      { html: '<p>{{referral.company}} & {{feedback}}</p>', subject: 'Hi {{member.firstName}}' },
    );
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.subject).toBe('Hi Ada');
    expect(preview.body.html).toBe('<p>Prospect Ltd & Demo booked for Tuesday, thanks!</p>');
    const saved = await api.request(
      'PUT',
      `/api/v1/programs/${program.body.id}/email-templates/reward.paid`,
      {
        body: { subject: 'Paid!', text: 'Paid {{reward.amount}}', html: '<p>Paid</p>' },
      },
    );
    expect(saved.status).toBe(200);
    const list = await api.get<{ data: Array<{ template: string; custom: boolean; subject: string }> }>(
      `/api/v1/programs/${program.body.id}/email-templates`,
    );
    expect(list.body.data.find((t) => t.template === 'reward.paid')).toMatchObject({
      custom: true,
      subject: 'Paid!',
    });
    const unknown = await api.post(`/api/v1/programs/${program.body.id}/email-templates/nope/preview`, {});
    expect(unknown.status).toBe(400);
  });
});
