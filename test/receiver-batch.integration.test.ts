import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.ts';
import { processBatch } from '../src/receiver/process/batch.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import {
  feed,
  newProgram,
  newReceiverSettings,
  newReferral,
  orderProgram,
  referralOf,
  type SalesEntry,
} from './helpers/receiver.ts';

/**
 * The batch path of sales entry processing, driven by hand: no workers run in this app, so
 * every entry saved waits until a test hands a batch of them to `processBatch`, as a worker
 * would after fetching their jobs.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  testApp = await startTestApp({ subscribers: [salesEntrySubscriber], work: false });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
});
afterAll(() => testApp.close());

const triggers = [
  { object: 'order', field: 'stage', value: 'Qualified', milestone: 'qualified' },
  { object: 'order', field: 'stage', value: 'Won', milestone: 'won' },
  { object: 'order', field: 'stage', value: 'Submitted', milestone: 'submitted', allowBackward: true },
];

let keys = 0;
const order = (
  fields: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  workspace = workspaceId,
) =>
  feed(testApp, workspace, {
    objectType: 'order',
    recordId: `o-${++keys}`,
    dedupeKey: `batch-${Date.now()}-${keys}`,
    fields,
    ...extra,
  });

const run = (ids: Array<{ workspaceId: string; entryId: string }>) => processBatch(testApp.app.ctx, 9, ids);
const jobsOf = (ids: string[], workspace = workspaceId) =>
  ids.map((entryId) => ({ workspaceId: workspace, entryId }));

/** A program whose API entries move the referral named in `refsyncId`. */
async function programMovedByOrders(): Promise<string> {
  const programId = await newProgram(api);
  await newReceiverSettings(api, {
    programId,
    connectionId: null,
    statusTriggers: triggers,
    targetMatch: [{ object: 'order', field: 'refsyncId', matchOn: 'referralId' }],
  });
  return programId;
}

async function entry(id: string, client = api): Promise<SalesEntry> {
  const response = await client.get<SalesEntry>(`/api/v1/sales-entries/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

describe('a batch of entries', () => {
  it('ends each entry of one batch as it would alone: success, ignored, review, failed, created, updated', async () => {
    const { programId, member } = await orderProgram(api, 'member.batch@example.com');
    const moving = await newReferral(api, { programId, email: 'moving@example.com' });
    const locked = await newReferral(api, { programId, email: 'locked@example.com', milestone: 'won' });
    const seated = await newReferral(api, { programId, email: 'seated@example.com' });
    const other = await testApp.newWorkspace('no settings');

    const ids = {
      success: await order({ stage: 'Qualified', refsyncId: moving.id }),
      noTrigger: await order({ stage: 'Negotiation', refsyncId: moving.id }),
      locked: await order({ stage: 'Submitted', refsyncId: locked.id }),
      review: await order({ stage: 'Qualified', referralCode: 'NOBODY1', email: 'nobody@example.com' }),
      created: await order({ stage: 'Won', referralCode: member.referralCode, email: 'fresh@example.com' }),
      fields: await order({ stage: 'Qualified', refsyncId: seated.id, seats: '12' }),
    };
    const failed = await order({ stage: 'Won' }, {}, other.id);
    const result = await run([...jobsOf(Object.values(ids)), ...jobsOf([failed], other.id)]);
    expect(result.retry).toBeUndefined();

    expect(await entry(ids.success)).toMatchObject({
      status: 'success',
      referralId: moving.id,
      matchMethod: 'referral_id',
      changes: { milestone: { from: 'submitted', to: 'qualified' } },
      attempts: 1,
    });
    expect(await entry(ids.noTrigger)).toMatchObject({ status: 'ignored', attempts: 1 });
    expect((await entry(ids.noTrigger)).reason).toContain('order.stage is "Negotiation"');
    const lockedEntry = await entry(ids.locked);
    expect(lockedEntry).toMatchObject({ status: 'ignored', referralId: locked.id });
    expect(lockedEntry.reason).toContain('approved milestone');
    expect(await entry(ids.review)).toMatchObject({
      status: 'review',
      reason: 'referral code NOBODY1 matches no member',
    });
    const created = await entry(ids.created);
    expect(created).toMatchObject({
      status: 'success',
      matchMethod: 'member_referralCode',
      memberId: member.id,
    });
    expect(await referralOf(api, String(created.referralId))).toMatchObject({
      email: 'fresh@example.com',
      milestone: 'won',
      memberId: member.id,
    });
    expect(await entry(ids.fields)).toMatchObject({
      status: 'success',
      changes: { fields: { 'custom.seats': { from: null, to: 12 } } },
    });
    expect(await entry(failed, other.api)).toMatchObject({
      status: 'failed',
      reason: 'no enabled receiver settings for API entries',
    });

    expect((await referralOf(api, moving.id)).milestone).toBe('qualified');
    expect((await referralOf(api, locked.id)).milestone).toBe('won');
    expect(await referralOf(api, seated.id)).toMatchObject({
      milestone: 'qualified',
      customFields: { seats: 12 },
    });
    const events = await queryRows<{ type: string; subject_id: string }>(
      testApp.app.ctx.db,
      sql`select type, subject_id from events
          where (type = 'sales_entry.failed' and subject_id = ${failed})
             or (type = 'referral.milestone_changed' and subject_id = ${moving.id})`,
    );
    expect(events.map((event) => event.type).sort()).toEqual([
      'referral.milestone_changed',
      'sales_entry.failed',
    ]);
    const jobs = await api.get<{ data: Array<{ queue: string }> }>(`/api/v1/jobs?subjectId=${ids.success}`);
    expect(jobs.body.data.map((job) => job.queue)).toEqual(['sales-entries']);
  });

  it('has one effect for duplicates and reordered deliveries in one batch, and when the batch runs twice', async () => {
    const programId = await programMovedByOrders();
    const t0 = Date.parse('2026-03-01T10:00:00.000Z');
    const events = (referralId: string, tag: string) =>
      [
        { key: `${tag}-won`, stage: 'Won', at: t0 + 2_000 },
        { key: `${tag}-qualified`, stage: 'Qualified', at: t0 + 1_000 },
        { key: `${tag}-submitted`, stage: 'Submitted', at: t0 },
      ].map((event) => ({
        dedupeKey: event.key,
        occurredAt: new Date(event.at),
        fields: { stage: event.stage, refsyncId: referralId },
      }));

    // Newest first, the middle one delivered twice, all in one batch.
    const reordered = await newReferral(api, { programId, email: 'reordered@example.com' });
    const delivered: string[] = [];
    for (const event of [...events(reordered.id, `r-${t0}`), events(reordered.id, `r-${t0}`)[1]]) {
      delivered.push(
        await order(event?.fields ?? {}, { dedupeKey: event?.dedupeKey, occurredAt: event?.occurredAt }),
      );
    }
    expect(new Set(delivered).size).toBe(3);
    await run(jobsOf(delivered));

    // The same events in the CRM's order, one batch each.
    const inOrder = await newReferral(api, { programId, email: 'in-order@example.com' });
    for (const event of events(inOrder.id, `o-${t0}`).reverse()) {
      const id = await order(event.fields, { dedupeKey: event.dedupeKey, occurredAt: event.occurredAt });
      await run(jobsOf([id]));
    }

    const ended = await referralOf(api, reordered.id);
    expect(ended.milestone).toBe((await referralOf(api, inOrder.id)).milestone);
    expect(ended.milestone).toBe('won');
    expect(ended.history.filter((change) => change.to === 'won')).toHaveLength(1);
    const before = await Promise.all(delivered.map((id) => entry(id)));
    expect(before.every((one) => one.status !== 'received' && one.attempts === 1)).toBe(true);

    // The job runs again (a worker died after committing): nothing changes.
    await run(jobsOf(delivered));
    expect((await referralOf(api, reordered.id)).history).toEqual(ended.history);
    expect(await Promise.all(delivered.map((id) => entry(id)))).toEqual(before);
  });

  it('writes many entries set-based: each referral moves once, with its history and event', async () => {
    const programId = await programMovedByOrders();
    const referrals = [];
    for (let i = 0; i < 30; i++)
      referrals.push(await newReferral(api, { programId, email: `many${i}@example.com` }));
    const ids = [];
    for (const referral of referrals) {
      ids.push(await order({ stage: 'Qualified', refsyncId: referral.id }, { occurredAt: new Date() }));
    }
    await run(jobsOf(ids));
    for (const [index, id] of ids.entries()) {
      const done = await entry(id);
      expect(done).toMatchObject({ status: 'success', referralId: referrals[index]?.id });
      expect(done.changes).toMatchObject({
        milestone: { from: 'submitted', to: 'qualified' },
        ordering: { milestone: 'qualified', before: 'submitted', after: 'qualified' },
      });
    }
    const moved = await Promise.all(referrals.map((referral) => referralOf(api, referral.id)));
    expect(moved.map((referral) => referral.milestone)).toEqual(referrals.map(() => 'qualified'));
    expect(moved.map((referral) => referral.history.at(-1))).toEqual(
      referrals.map(() =>
        expect.objectContaining({ from: 'submitted', to: 'qualified', actor: 'api', overrodeDenied: false }),
      ),
    );
    const [counted] = await queryRows<{ n: number }>(
      testApp.app.ctx.db,
      sql`select count(*)::int as n from events where type = 'referral.milestone_changed'
          and subject_id in (${sql.join(
            referrals.map((referral) => sql`${referral.id}`),
            sql`, `,
          )})`,
    );
    expect(counted?.n).toBe(30);
  });
});
