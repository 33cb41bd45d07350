import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, referrals } from '../src/db/schema.ts';
import type { ApiClient, TestApp } from './helpers/app.ts';
import { newProgram, newReferral, outcomeOf, referralOf, type SalesEntry } from './helpers/receiver.ts';
import { processTools, startProcessApp } from './helpers/receiver-process.ts';

/**
 * Processing of sales entries sent through the API (no CRM connection): triggers, matching,
 * member match, process rules, review, edit and retry.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  ({ testApp, api, workspaceId } = await startProcessApp());
});
afterAll(() => testApp.close());

const { setup, order } = processTools(() => ({ testApp, api, workspaceId }));

describe('receiver settings', () => {
  it('applies the process rule defaults and names the bad field', async () => {
    const programId = await newProgram(api);
    const created = await api.post<Record<string, unknown>>('/api/v1/receiver-settings', {
      programId,
      statusTriggers: [{ object: 'order', field: 'stage', value: 'Won', milestone: 'won' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      connectionId: null,
      fuzzyMatch: true,
      contactMatching: 'triggered_only',
      processRules: {
        autoProcessDirect: true,
        autoProcessFuzzy: true,
        reviewWhenNoMemberMatch: false,
        reviewDeniedToPositive: false,
        notifyOnReview: false,
      },
    });
    const again = await api.post('/api/v1/receiver-settings', { programId });
    expect(again.status).toBe(409);

    const other = await newProgram(api);
    const bad = await api.post<{ error: { details: Array<{ field: string }> } }>(
      '/api/v1/receiver-settings',
      {
        programId: other,
        statusTriggers: [
          { object: 'order', field: 'stage', value: 'Won', milestone: 'won' },
          { object: 'order', field: 'stage', value: 'Gone', milestone: 'vanished' },
        ],
        fieldUpdates: [{ object: 'order', field: 'x', target: 'referral.custom.nope' }],
        memberMatch: [{ object: 'order', field: 'code', matchOn: 'shoeSize' }],
      },
    );
    expect(bad.status).toBe(400);
    const fields = bad.body.error.details.map((detail) => detail.field);
    expect(fields).toContain('memberMatch.0.matchOn');
    const bad2 = await api.post<{ error: { details: Array<{ field: string }> } }>(
      '/api/v1/receiver-settings',
      {
        programId: other,
        statusTriggers: [
          { object: 'order', field: 'stage', value: 'Won', milestone: 'won' },
          { object: 'order', field: 'stage', value: 'Gone', milestone: 'vanished' },
        ],
        fieldUpdates: [{ object: 'order', field: 'x', target: 'referral.custom.nope' }],
      },
    );
    expect(bad2.body.error.details.map((detail) => detail.field).sort()).toEqual([
      'fieldUpdates.0.target',
      'statusTriggers.1.milestone',
    ]);

    const id = (created.body as { id: string }).id;
    const patched = await api.patch<Record<string, unknown>>(`/api/v1/receiver-settings/${id}`, {
      processRules: { autoProcessFuzzy: false },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.processRules).toMatchObject({ autoProcessDirect: true, autoProcessFuzzy: false });
    const listed = await api.get<{ data: Array<{ id: string }> }>(
      `/api/v1/receiver-settings?programId=${programId}`,
    );
    expect(listed.body.data.map((row) => row.id)).toEqual([id]);
  });
});

describe('processing', () => {
  it('moves a referral found by its referral ID field and applies field updates', async () => {
    const { programId } = await setup({
      fieldUpdates: [
        { object: 'order', field: 'seats', target: 'referral.custom.seats' },
        { object: 'order', field: 'company', target: 'referral.company' },
      ],
    });
    const referral = await newReferral(api, { programId, email: 'direct@example.com' });
    const entryId = await order({ stage: 'Qualified', refsyncId: referral.id, seats: '12', company: 'Acme' });
    const entry = await outcomeOf(api, entryId);
    expect(entry).toMatchObject({
      status: 'success',
      matchMethod: 'referral_id',
      matchScore: 1,
      referralId: referral.id,
      trigger: { object: 'order', field: 'stage', value: 'Qualified', milestone: 'qualified' },
    });
    expect(entry.changes).toMatchObject({
      milestone: { from: 'submitted', to: 'qualified' },
      fields: { company: { from: null, to: 'Acme' }, 'custom.seats': { from: null, to: 12 } },
    });
    const after = await referralOf(api, referral.id);
    expect(after).toMatchObject({ milestone: 'qualified', company: 'Acme', customFields: { seats: 12 } });
    expect(after.history.at(-1)).toMatchObject({ to: 'qualified', actor: 'api' });
  });

  it('ignores an entry no trigger fires for, saying what it saw', async () => {
    await setup();
    const entry = await outcomeOf(api, await order({ stage: 'Negotiation' }));
    expect(entry.status).toBe('ignored');
    expect(entry.reason).toContain('order.stage is "Negotiation"');
  });

  it('fails a referral code that matches no member, then succeeds after an edit and a retry', async () => {
    const { member } = await setup({
      memberMatch: [{ object: 'order', field: 'referralCode', matchOn: 'referralCode' }],
    });
    const email = `new.${Math.random().toString(36).slice(2, 8)}@example.com`;
    const entryId = await order({
      stage: 'Qualified',
      referralCode: 'ABC123',
      email,
      firstName: 'Nina',
      company: 'Nordwind',
    });
    const failed = await outcomeOf(api, entryId);
    expect(failed).toMatchObject({ status: 'failed', reason: 'referral code ABC123 matches no member' });

    const edited = await api.patch<SalesEntry>(`/api/v1/sales-entries/${entryId}`, {
      fields: { ...failed.fields, referralCode: member.referralCode },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.receivedFields.referralCode).toBe('ABC123');
    expect(edited.body.fields.referralCode).toBe(member.referralCode);

    const retried = await api.post<SalesEntry>(`/api/v1/sales-entries/${entryId}/retry`);
    expect(retried.status).toBe(202);
    const done = await outcomeOf(api, entryId);
    expect(done).toMatchObject({
      status: 'success',
      matchMethod: 'member_referralCode',
      memberId: member.id,
    });
    expect(done.attempts).toBe(2);
    const created = await referralOf(api, String(done.referralId));
    expect(created).toMatchObject({
      memberId: member.id,
      email,
      company: 'Nordwind',
      milestone: 'qualified',
    });
  });

  it('updates the referral contact details from the CRM only when asked to', async () => {
    for (const updateContactDetails of [false, true]) {
      const { programId } = await setup({ updateContactDetails });
      const referral = await newReferral(api, {
        programId,
        email: `old.${updateContactDetails}@example.com`,
        firstName: 'Old',
      });
      const entryId = await order({
        stage: 'Qualified',
        refsyncId: referral.id,
        firstName: 'New',
        phone: '+1 555 0199',
      });
      expect((await outcomeOf(api, entryId)).status).toBe('success');
      const after = await api.get<{ firstName: string | null; phone: string | null; milestone: string }>(
        `/api/v1/referrals/${referral.id}`,
      );
      expect(after.body.milestone).toBe('qualified');
      expect(after.body).toMatchObject(
        updateContactDetails ? { firstName: 'New', phone: '+1 555 0199' } : { firstName: 'Old', phone: null },
      );
    }
  });

  it('sends an entry to review when no member matches and the process rule asks for it, and notifies', async () => {
    await setup({
      memberMatch: [{ object: 'order', field: 'referralCode', matchOn: 'referralCode' }],
      processRules: { reviewWhenNoMemberMatch: true, notifyOnReview: true },
    });
    const entryId = await order({ stage: 'Won', referralCode: 'NOBODY1', email: 'nobody@example.com' });
    const held = await outcomeOf(api, entryId);
    expect(held.status).toBe('review');
    expect(held.reason).toContain('referral code NOBODY1 matches no member');
    const notified = await testApp.app.ctx.db
      .select()
      .from(events)
      .where(and(eq(events.type, 'sales_entry.review_needed'), eq(events.subjectId, entryId)));
    expect(notified).toHaveLength(1);
  });

  it('sends a denied referral about to be approved to review; approving applies it', async () => {
    const { programId } = await setup({
      processRules: { reviewDeniedToPositive: true, notifyOnReview: true },
    });
    const referral = await newReferral(api, { programId, email: 'denied@example.com', milestone: 'lost' });
    const entryId = await order({ stage: 'Won', refsyncId: referral.id });
    const held = await outcomeOf(api, entryId);
    expect(held.status).toBe('review');
    expect(held.reason).toContain('denied (lost)');
    expect((await referralOf(api, referral.id)).milestone).toBe('lost');
    const notified = await testApp.app.ctx.db
      .select()
      .from(events)
      .where(and(eq(events.type, 'sales_entry.review_needed'), eq(events.subjectId, entryId)));
    expect(notified).toHaveLength(1);

    const approved = await api.post<SalesEntry>(`/api/v1/sales-entries/${entryId}/review`, {
      decision: 'approve',
      note: 'customer came back',
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe('success');
    const after = await referralOf(api, referral.id);
    expect(after.milestone).toBe('won');
    expect(after.history.at(-1)).toMatchObject({ from: 'lost', to: 'won', overrodeDenied: true });

    const again = await api.post(`/api/v1/sales-entries/${entryId}/review`, { decision: 'reject' });
    expect(again.status).toBe(409);
  });

  it('rejecting a review ends it ignored with the note', async () => {
    const { programId } = await setup({ processRules: { autoProcessDirect: false } });
    const referral = await newReferral(api, { programId, email: 'held@example.com' });
    const entryId = await order({ stage: 'Qualified', refsyncId: referral.id });
    expect((await outcomeOf(api, entryId)).status).toBe('review');
    const rejected = await api.post<SalesEntry>(`/api/v1/sales-entries/${entryId}/review`, {
      decision: 'reject',
      note: 'test record',
    });
    expect(rejected.body).toMatchObject({ status: 'ignored', reason: 'rejected in review: test record' });
    expect((await referralOf(api, referral.id)).milestone).toBe('submitted');
  });

  it('matches on name and company with a score, and holds fuzzy matches when auto fuzzy is off', async () => {
    const { programId, settingsId } = await setup();
    const referral = await newReferral(api, {
      programId,
      firstName: 'Zoë',
      lastName: 'Quist',
      company: 'Quist Holdings, Inc.',
    });
    const first = await outcomeOf(
      api,
      await order({ stage: 'Qualified', firstName: 'zoe', lastName: 'QUIST', company: 'Quist Holdings' }),
    );
    expect(first).toMatchObject({
      status: 'success',
      matchMethod: 'fuzzy_name_company',
      matchScore: 0.8,
      referralId: referral.id,
    });

    await api.patch(`/api/v1/receiver-settings/${settingsId}`, { processRules: { autoProcessFuzzy: false } });
    const byEmail = await newReferral(api, { programId, email: 'Fuzzy.Person@GMail.com' });
    const held = await outcomeOf(api, await order({ stage: 'Won', email: 'fuzzyperson+ref@gmail.com' }));
    expect(held).toMatchObject({
      status: 'review',
      matchMethod: 'fuzzy_email',
      matchScore: 1,
      referralId: byEmail.id,
    });
    expect(held.reason).toContain('automatic processing of fuzzy matches is off');
    expect((await referralOf(api, byEmail.id)).milestone).toBe('submitted');
  });

  it('finds a referral by its normalised email key, by its new email after an edit, and by domain when it has no key', async () => {
    const { programId } = await setup();
    const keyed = await newReferral(api, { programId, email: 'First.Key+promo@Example.com' });
    const byKey = await outcomeOf(api, await order({ stage: 'Qualified', email: 'first.key@example.com' }));
    expect(byKey).toMatchObject({ status: 'success', matchMethod: 'fuzzy_email', referralId: keyed.id });

    // An edited email is found under its new key, not the old one.
    const edited = await api.patch(`/api/v1/referrals/${keyed.id}`, { email: 'renamed@example.com' });
    expect(edited.status).toBe(200);
    const renamed = await outcomeOf(api, await order({ stage: 'Won', email: 'Renamed+x@example.com' }));
    expect(renamed).toMatchObject({ status: 'success', referralId: keyed.id });
    const stale = await outcomeOf(api, await order({ stage: 'Won', email: 'first.key@example.com' }));
    expect(stale.referralId ?? null).toBeNull();

    // A referral written before the key existed, whose email the migration left without one.
    const unkeyed = await newReferral(api, { programId, email: 'Zoe.Old@Example.net' });
    await testApp.app.ctx.db.update(referrals).set({ emailKey: null }).where(eq(referrals.id, unkeyed.id));
    const byDomain = await outcomeOf(
      api,
      await order({ stage: 'Qualified', email: 'zoe.old+a@example.net' }),
    );
    expect(byDomain).toMatchObject({ status: 'success', matchMethod: 'fuzzy_email', referralId: unkeyed.id });
  });
});
