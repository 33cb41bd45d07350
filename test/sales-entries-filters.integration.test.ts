import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, TestApp } from './helpers/app.ts';
import { newReferral, outcomeOf } from './helpers/receiver.ts';
import { processTools, startProcessApp } from './helpers/receiver-process.ts';

/** The sales entries list by date and text, and the counts behind the console's review badge. */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  ({ testApp, api, workspaceId } = await startProcessApp());
});
afterAll(() => testApp.close());

const { setup, order } = processTools(() => ({ testApp, api, workspaceId }));

interface EntryPage {
  data: Array<{ id: string; status: string }>;
}

describe('GET /sales-entries filters and counts', () => {
  it('finds entries by received day and by text, and counts each outcome of this workspace only', async () => {
    const { programId } = await setup({ processRules: { reviewWhenNoMemberMatch: true } });
    const referral = await newReferral(api, { programId, email: 'filters@example.com' });
    const won = await order({ stage: 'Won', refsyncId: referral.id }, { recordId: 'o-filter-won' });
    const lost = await order(
      { stage: 'Won', email: 'nobody.%_here@example.com' },
      { recordId: 'o-filter-x' },
    );
    expect((await outcomeOf(api, won)).status).toBe('success');
    expect((await outcomeOf(api, lost)).status).toBe('review');

    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const ids = async (query: string) =>
      (await api.get<EntryPage>(`/api/v1/sales-entries?${query}`)).body.data.map((entry) => entry.id);
    expect(await ids(`receivedFrom=${today}&receivedTo=${today}`)).toEqual([lost, won]);
    expect(await ids(`receivedTo=${yesterday}`)).toEqual([]);
    expect(await ids('q=O-FILTER-WON')).toEqual([won]);
    // The text is literal: LIKE wildcards in it match only themselves.
    expect(await ids(`q=${encodeURIComponent('nobody.%_here')}`)).toEqual([lost]);
    expect(await ids(`q=${encodeURIComponent('%')}`)).toEqual([lost]);
    const bad = await api.get<{ error: { details: Array<{ field: string }> } }>(
      '/api/v1/sales-entries?receivedFrom=yesterday',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((detail) => detail.field)).toEqual(['receivedFrom']);

    const counts = await api.get<Record<string, number>>('/api/v1/sales-entries/counts');
    expect(counts.status).toBe(200);
    expect(counts.body).toEqual({ received: 0, success: 1, ignored: 0, review: 1, failed: 0 });
    const other = await testApp.newWorkspace('Other');
    expect((await other.api.get('/api/v1/sales-entries/counts')).body).toEqual({
      received: 0,
      success: 0,
      ignored: 0,
      review: 0,
      failed: 0,
    });
  });
});
