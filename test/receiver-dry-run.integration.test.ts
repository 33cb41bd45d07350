import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, referrals, salesEntries } from '../src/db/schema.ts';
import type { ApiClient, TestApp } from './helpers/app.ts';
import { newReferral, referralOf } from './helpers/receiver.ts';
import { processTools, startProcessApp } from './helpers/receiver-process.ts';

/** POST /receiver-settings/{id}/dry-run: what the settings would do, with nothing written. */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  ({ testApp, api, workspaceId } = await startProcessApp());
});
afterAll(() => testApp.close());

const { setup } = processTools(() => ({ testApp, api, workspaceId }));

async function rowCounts() {
  const db = testApp.app.ctx.db;
  const [entries] = await db.select({ n: count() }).from(salesEntries);
  const [written] = await db.select({ n: count() }).from(events);
  const [people] = await db.select({ n: count() }).from(referrals);
  return { entries: entries?.n, events: written?.n, referrals: people?.n };
}

describe('receiver settings dry run', () => {
  it('names the trigger, the match, the milestone move and the field changes, and writes nothing', async () => {
    const { programId, settingsId, member } = await setup({
      fieldUpdates: [{ object: 'order', field: 'seats', target: 'referral.custom.seats' }],
      memberMatch: [{ object: 'order', field: 'code', matchOn: 'referralCode' }],
    });
    const referral = await newReferral(api, { programId, email: 'dry@example.com' });
    const before = await rowCounts();

    const direct = await api.post<Record<string, unknown>>(
      `/api/v1/receiver-settings/${settingsId}/dry-run`,
      {
        objectType: 'order',
        fields: { stage: 'Won', refsyncId: referral.id, seats: '12' },
      },
    );
    expect(direct.status, JSON.stringify(direct.body)).toBe(200);
    expect(direct.body).toMatchObject({
      records: { object: 'order', values: { stage: 'Won', refsyncId: referral.id } },
      trigger: { object: 'order', field: 'stage', value: 'Won', milestone: 'won' },
      match: { referralId: referral.id, method: 'referral_id', score: 1 },
      outcome: 'success',
      reason: null,
      milestone: { from: 'submitted', to: 'won' },
      fieldChanges: { seats: 12 },
      processRules: { autoProcessDirect: true },
    });

    const byMember = await api.post<Record<string, unknown>>(
      `/api/v1/receiver-settings/${settingsId}/dry-run`,
      {
        objectType: 'order',
        fields: { stage: 'Won', code: member.referralCode, email: 'new.friend@example.com' },
      },
    );
    expect(byMember.body).toMatchObject({
      outcome: 'success',
      match: { referralId: null, memberId: member.id, method: 'member_referralCode' },
      newReferral: { memberId: member.id },
    });
    const unknown = await api.post<Record<string, unknown>>(
      `/api/v1/receiver-settings/${settingsId}/dry-run`,
      {
        objectType: 'order',
        fields: { stage: 'Won', code: 'NOSUCHCODE' },
      },
    );
    expect(unknown.body).toMatchObject({
      outcome: 'failed',
      reason: 'referral code NOSUCHCODE matches no member',
    });
    const quiet = await api.post<Record<string, unknown>>(`/api/v1/receiver-settings/${settingsId}/dry-run`, {
      objectType: 'order',
      fields: { stage: 'Open', refsyncId: referral.id },
    });
    expect(quiet.body).toMatchObject({ outcome: 'ignored', trigger: null });

    expect(await rowCounts()).toEqual(before);
    expect((await referralOf(api, referral.id)).milestone).toBe('submitted');

    const empty = await api.post<{ error: { details: Array<{ field: string }> } }>(
      `/api/v1/receiver-settings/${settingsId}/dry-run`,
      { objectType: 'order' },
    );
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.map((detail) => detail.field)).toEqual(['recordId']);
    const other = await testApp.newWorkspace('Other');
    const foreign = await other.api.post(`/api/v1/receiver-settings/${settingsId}/dry-run`, {
      objectType: 'order',
      fields: { stage: 'Won' },
    });
    expect(foreign.status).toBe(404);
  });
});
