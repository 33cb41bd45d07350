import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEntry } from '../src/receiver/process/processor.ts';
import type { ApiClient, TestApp } from './helpers/app.ts';
import { feed, newReferral, outcomeOf, referralOf, type SalesEntry } from './helpers/receiver.ts';
import { processTools, startProcessApp } from './helpers/receiver-process.ts';

/**
 * Processing of sales entries sent through the API (no CRM connection): duplicates, order,
 * locks, and the entries API.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  ({ testApp, api, workspaceId } = await startProcessApp());
});
afterAll(() => testApp.close());

const { setup, order } = processTools(() => ({ testApp, api, workspaceId }));

describe('duplicates, order and locks', () => {
  it('has one effect when an entry is delivered twice or its job runs twice', async () => {
    const { programId } = await setup();
    const referral = await newReferral(api, { programId, email: 'twice@example.com' });
    const entry = {
      objectType: 'order',
      recordId: 'o-twice',
      dedupeKey: `dup-${Math.random()}`,
      fields: { stage: 'Qualified', refsyncId: referral.id },
    };
    const first = await feed(testApp, workspaceId, entry);
    const second = await feed(testApp, workspaceId, entry);
    expect(second).toBe(first);
    await outcomeOf(api, first);
    await processEntry(testApp.app.ctx, workspaceId, first);
    await api.post('/api/v1/sales-entries/retry', { ids: [first] });
    const done = await outcomeOf(api, first);
    expect(done.status).toBe('success');
    const history = (await referralOf(api, referral.id)).history;
    expect(history.filter((change) => change.to === 'qualified')).toHaveLength(1);
  });

  it('never lets an older event undo a newer one, nor move back without the trigger allowing it', async () => {
    const { programId } = await setup();
    const referral = await newReferral(api, { programId, email: 'order@example.com' });
    const t0 = Date.now();
    const newer = await outcomeOf(
      api,
      await order({ stage: 'Qualified', refsyncId: referral.id }, { occurredAt: new Date(t0) }),
    );
    expect(newer.status).toBe('success');
    // Back to submitted is allowed by its trigger, but this event is older than the one applied.
    const older = await outcomeOf(
      api,
      await order({ stage: 'Submitted', refsyncId: referral.id }, { occurredAt: new Date(t0 - 60_000) }),
    );
    expect(older).toMatchObject({
      status: 'ignored',
      reason: `a newer event from the CRM was already applied: entry ${newer.id} from ${new Date(t0).toISOString()}`,
    });
    expect((await referralOf(api, referral.id)).milestone).toBe('qualified');

    const other = await newReferral(api, { programId, email: 'back@example.com', milestone: 'qualified' });
    const back = await outcomeOf(
      api,
      await feed(testApp, workspaceId, {
        objectType: 'order',
        fields: { stage: 'Qualified', refsyncId: other.id },
      }),
    );
    expect(back).toMatchObject({ status: 'success', changes: {} });
    const reopened = await outcomeOf(api, await order({ stage: 'Reopened', refsyncId: other.id }));
    expect(reopened.status).toBe('ignored');
    expect(reopened.reason).toContain('does not allow moving it back to submitted');
    expect((await referralOf(api, other.id)).milestone).toBe('qualified');
  });

  it('keeps an approved referral locked: the refusal is an outcome, not a crash', async () => {
    const { programId } = await setup();
    const referral = await newReferral(api, { programId, email: 'locked@example.com', milestone: 'won' });
    const entry = await outcomeOf(api, await order({ stage: 'Submitted', refsyncId: referral.id }));
    expect(entry.status).toBe('ignored');
    expect(entry.reason).toContain('approved milestone');
    const backwards = await outcomeOf(api, await order({ stage: 'Qualified', refsyncId: referral.id }));
    expect(backwards.status).toBe('ignored');
    expect((await referralOf(api, referral.id)).milestone).toBe('won');
  });
});

describe('entries API', () => {
  it('lists with filters and cursors, and shows the raw payload', async () => {
    await setup();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await order({ stage: 'Nothing', n: i }));
    for (const id of ids) await outcomeOf(api, id);
    const page = await api.get<{ data: SalesEntry[]; nextCursor: string | null }>(
      '/api/v1/sales-entries?status=ignored&source=api&limit=2',
    );
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.data.every((entry) => entry.status === 'ignored')).toBe(true);
    const next = await api.get<{ data: SalesEntry[] }>(
      `/api/v1/sales-entries?status=ignored&limit=2&cursor=${page.body.nextCursor}`,
    );
    expect(next.body.data.length).toBeGreaterThan(0);
    expect(next.body.data[0]?.id).not.toBe(page.body.data[1]?.id);
    const detail = await api.get<SalesEntry>(`/api/v1/sales-entries/${ids[0]}`);
    expect(detail.body.rawPayload).toContain('"n":0');

    const bulk = await api.post<{ queued: number }>('/api/v1/sales-entries/retry', { ids });
    expect(bulk.body.queued).toBe(3);
    for (const id of ids) expect((await outcomeOf(api, id)).attempts).toBe(2);
  });

  it('answers 404 for another workspace on every route', async () => {
    const { settingsId } = await setup();
    const entryId = await order({ stage: 'Nothing' });
    await outcomeOf(api, entryId);
    const { api: other } = await testApp.newWorkspace('other');
    const answers = await Promise.all([
      other.get(`/api/v1/receiver-settings/${settingsId}`),
      other.patch(`/api/v1/receiver-settings/${settingsId}`, { enabled: false }),
      other.get(`/api/v1/sales-entries/${entryId}`),
      other.patch(`/api/v1/sales-entries/${entryId}`, { fields: {} }),
      other.post(`/api/v1/sales-entries/${entryId}/retry`),
      other.post(`/api/v1/sales-entries/${entryId}/review`, { decision: 'reject' }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404, 404]);
    const list = await other.get<{ data: unknown[] }>('/api/v1/sales-entries');
    expect(list.body.data).toEqual([]);
    const settings = await other.get<{ data: unknown[] }>('/api/v1/receiver-settings');
    expect(settings.body.data).toEqual([]);
    const bulk = await other.post<{ queued: number }>('/api/v1/sales-entries/retry', { ids: [entryId] });
    expect(bulk.body.queued).toBe(0);
    const created = await other.post<{ error: { details: Array<{ field: string }> } }>(
      '/api/v1/receiver-settings',
      {
        programId: (await api.get<{ programId: string }>(`/api/v1/receiver-settings/${settingsId}`)).body
          .programId,
      },
    );
    expect(created.status).toBe(400);
  });
});
