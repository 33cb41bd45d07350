import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.ts';
import { processBatch } from '../src/receiver/process/batch.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { entryOf, feed, newReferral, orderProgram, referralOf } from './helpers/receiver.ts';

/**
 * The batch path's fallback: when the transaction that writes a batch fails, each of its
 * entries is processed on its own and must end exactly as it would have in the batch, once.
 * The failure is provoked by a trigger on `sales_entries` that refuses to let one entry end
 * `success` (the first time, or every time). No workers run: the test hands batches to `processBatch`
 * as a worker would after fetching their jobs, and runs one again as a retried job would.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let faults = 0;

beforeAll(async () => {
  testApp = await startTestApp({ subscribers: [salesEntrySubscriber], work: false });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
});
afterEach(async () => {
  await testApp.app.ctx.db.execute(sql`drop trigger if exists test_refuse_entry on sales_entries`);
});
afterAll(() => testApp.close());

/**
 * Makes the database refuse to write `entryId` as a success: the first time only (`once`,
 * counted by a sequence, which a rollback does not undo), or every time. Answers a function
 * telling how many times such a write was tried.
 */
async function refuseSuccessOf(entryId: string, times: 'once' | 'always'): Promise<() => Promise<number>> {
  const db = testApp.app.ctx.db;
  const sequence = `test_fault_${++faults}`;
  if (!/^sle_[0-9a-z]+$/.test(entryId)) throw new Error(`unexpected entry ID ${entryId}`);
  await db.execute(sql.raw(`create sequence ${sequence}`));
  const condition = times === 'once' ? `nextval('${sequence}') = 1` : `nextval('${sequence}') > 0`;
  await db.execute(
    sql.raw(`create or replace function test_refuse_entry() returns trigger language plpgsql as $$
      begin
        if new.id = '${entryId}' and new.status = 'success' then
          if ${condition} then
            raise exception 'test fault: entry % may not succeed', new.id;
          end if;
        end if;
        return new;
      end $$`),
  );
  await db.execute(
    sql`create trigger test_refuse_entry before update on sales_entries
        for each row execute function test_refuse_entry()`,
  );
  return async () => {
    const [row] = await queryRows<{ last_value: string; is_called: boolean }>(
      db,
      sql.raw(`select last_value, is_called from ${sequence}`),
    );
    return row?.is_called ? Number(row.last_value) : 0;
  };
}

let keys = 0;
const order = (fields: Record<string, unknown>, workspace = workspaceId) =>
  feed(testApp, workspace, {
    objectType: 'order',
    recordId: `o-${++keys}`,
    dedupeKey: `fallback-${Date.now()}-${keys}`,
    fields,
  });

const jobsOf = (ids: string[], workspace = workspaceId) =>
  ids.map((entryId) => ({ workspaceId: workspace, entryId }));

const entry = (id: string, client = api) => entryOf(client, id);

async function countOf(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: number }>(testApp.app.ctx.db, query);
  return row?.n ?? -1;
}

const movesOf = (referralId: string) =>
  countOf(sql`select count(*)::int as n from events
              where type = 'referral.milestone_changed' and subject_id = ${referralId}`);

describe('a batch whose transaction fails', () => {
  it('ends every entry on its own as the batch would have, once', async () => {
    const { programId, member } = await orderProgram(api, 'member.fallback@example.com');
    const moving = await newReferral(api, { programId, email: 'fb.moving@example.com' });
    const locked = await newReferral(api, { programId, email: 'fb.locked@example.com', milestone: 'won' });
    const seated = await newReferral(api, { programId, email: 'fb.seated@example.com' });
    const poisoned = await newReferral(api, { programId, email: 'fb.poisoned@example.com' });
    const other = await testApp.newWorkspace('fallback without settings');
    const ids = {
      success: await order({ stage: 'Qualified', refsyncId: moving.id }),
      noTrigger: await order({ stage: 'Negotiation', refsyncId: moving.id }),
      locked: await order({ stage: 'Submitted', refsyncId: locked.id }),
      review: await order({ stage: 'Qualified', referralCode: 'NOBODY9', email: 'fb.nobody@example.com' }),
      created: await order({
        stage: 'Won',
        referralCode: member.referralCode,
        email: 'fb.fresh@example.com',
      }),
      fields: await order({ stage: 'Qualified', refsyncId: seated.id, seats: '7' }),
      poisoned: await order({ stage: 'Won', refsyncId: poisoned.id }),
    };
    const failed = await order({ stage: 'Won' }, other.id);
    const tried = await refuseSuccessOf(ids.poisoned, 'once');

    const result = await processBatch(testApp.app.ctx, 9, [
      ...jobsOf(Object.values(ids)),
      ...jobsOf([failed], other.id),
    ]);
    // The batch's write was refused and rolled back; the entry's own write then went through.
    expect(await tried()).toBe(2);
    expect(result.retry).toBeUndefined();

    expect(await entry(ids.success)).toMatchObject({
      status: 'success',
      referralId: moving.id,
      changes: { milestone: { from: 'submitted', to: 'qualified' } },
      attempts: 1,
    });
    expect(await entry(ids.noTrigger)).toMatchObject({ status: 'ignored', attempts: 1 });
    const lockedEntry = await entry(ids.locked);
    expect(lockedEntry).toMatchObject({ status: 'ignored', referralId: locked.id, attempts: 1 });
    expect(lockedEntry.reason).toContain('approved milestone');
    expect(await entry(ids.review)).toMatchObject({
      status: 'review',
      reason: 'referral code NOBODY9 matches no member',
      attempts: 1,
    });
    const created = await entry(ids.created);
    expect(created).toMatchObject({ status: 'success', memberId: member.id, attempts: 1 });
    expect(await entry(ids.fields)).toMatchObject({
      status: 'success',
      changes: { fields: { 'custom.seats': { from: null, to: 7 } } },
      attempts: 1,
    });
    expect(await entry(ids.poisoned)).toMatchObject({
      status: 'success',
      referralId: poisoned.id,
      changes: { milestone: { from: 'submitted', to: 'won' } },
      attempts: 1,
    });
    expect(await entry(failed, other.api)).toMatchObject({
      status: 'failed',
      reason: 'no enabled receiver settings for API entries',
      attempts: 1,
    });

    // Each effect once: one move per referral, one referral created, one failure told.
    expect((await referralOf(api, moving.id)).history.map((step) => step.to)).toEqual([
      'submitted',
      'qualified',
    ]);
    expect((await referralOf(api, poisoned.id)).history.map((step) => step.to)).toEqual(['submitted', 'won']);
    expect((await referralOf(api, locked.id)).milestone).toBe('won');
    expect(await referralOf(api, seated.id)).toMatchObject({
      milestone: 'qualified',
      customFields: { seats: 7 },
    });
    expect(await movesOf(moving.id)).toBe(1);
    expect(await movesOf(poisoned.id)).toBe(1);
    expect(await movesOf(seated.id)).toBe(1);
    expect(
      await countOf(sql`select count(*)::int as n from referrals
                        where workspace_id = ${workspaceId} and email = 'fb.fresh@example.com'`),
    ).toBe(1);
    expect(
      await countOf(sql`select count(*)::int as n from events
                        where type = 'sales_entry.failed' and subject_id = ${failed}`),
    ).toBe(1);
  });

  it('retries only the entry that keeps failing; a second run of the batch changes nothing else', async () => {
    const { programId } = await orderProgram(api, 'member.fallback2@example.com');
    const first = await newReferral(api, { programId, email: 'fb2.first@example.com' });
    const second = await newReferral(api, { programId, email: 'fb2.second@example.com' });
    const stuck = await newReferral(api, { programId, email: 'fb2.stuck@example.com' });
    const ids = [
      await order({ stage: 'Qualified', refsyncId: first.id }),
      await order({ stage: 'Won', refsyncId: stuck.id }),
      await order({ stage: 'Won', refsyncId: second.id }),
    ];
    const [firstEntry = '', stuckEntry = '', secondEntry = ''] = ids;
    const tried = await refuseSuccessOf(stuckEntry, 'always');

    const once = await processBatch(testApp.app.ctx, 1, jobsOf(ids));
    // The database's refusal, under the query that met it.
    expect(String((once.retry as { cause?: unknown }).cause)).toContain('test fault: entry');
    expect(await entry(firstEntry)).toMatchObject({ status: 'success', attempts: 1 });
    expect(await entry(secondEntry)).toMatchObject({ status: 'success', attempts: 1 });
    expect(await entry(stuckEntry)).toMatchObject({ status: 'received', attempts: 1 });
    expect((await referralOf(api, stuck.id)).milestone).toBe('submitted');

    // The job runs again, as the queue retries it: the finished entries are left alone.
    const again = await processBatch(testApp.app.ctx, 1, jobsOf(ids));
    expect(again.retry).toBeUndefined();
    // Each run: the batch's write, then the entry's own.
    expect(await tried()).toBe(4);
    expect(await entry(firstEntry)).toMatchObject({ status: 'success', attempts: 1 });
    expect(await entry(secondEntry)).toMatchObject({ status: 'success', attempts: 1 });
    const gaveUp = await entry(stuckEntry);
    expect(gaveUp).toMatchObject({ status: 'failed', attempts: 2 });
    expect(gaveUp.reason).toMatch(
      /^processing gave up after 2 attempts: .*test fault: entry sle_\w+ may not succeed/,
    );
    expect(await movesOf(first.id)).toBe(1);
    expect(await movesOf(second.id)).toBe(1);
    expect(await movesOf(stuck.id)).toBe(0);
    expect(
      await countOf(sql`select count(*)::int as n from events
                        where type = 'sales_entry.failed' and subject_id = ${stuckEntry}`),
    ).toBe(1);
  });
});
