import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneClicks, startClickPruner, stopClickPruner } from '../src/capture/retention.ts';
import { captureClickDays, captureClicks } from '../src/capture/tables.ts';
import { newId } from '../src/core/ids.ts';
import { members } from '../src/members/tables.ts';
import { type ApiClient, eventually, type TestApp } from './helpers/app.ts';
import { captureProgram, newAddress, newMember, startCaptureApp } from './helpers/capture.ts';

const browser =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';

let testApp: TestApp;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startCaptureApp();
  api = (await testApp.newWorkspace()).api;
}, 120_000);
afterAll(async () => {
  await testApp?.close();
});

async function click(code: string) {
  const response = await fetch(`${testApp.url}/r/${code}`, {
    redirect: 'manual',
    headers: { 'user-agent': browser, 'x-forwarded-for': newAddress() },
  });
  expect(response.status).toBe(302);
}

async function referral(programId: string, memberId: string, milestones: string[]) {
  const created = await api.post<{ id: string }>('/api/v1/referrals', {
    programId,
    memberId,
    email: `p-${Math.random().toString(36).slice(2, 8)}@prospect.example`,
  });
  for (const milestone of milestones)
    await api.post(`/api/v1/referrals/${created.body.id}/milestone`, { milestone });
}

describe('the funnel: click → referral → qualified → won', () => {
  it('per program and per member', async () => {
    const { programId, member } = await captureProgram(api);
    const second = await newMember(api, programId);
    for (let i = 0; i < 4; i++) await click(member.referralCode);
    await click(second.referralCode);
    await referral(programId, member.id, []);
    await referral(programId, member.id, ['qualified']);
    await referral(programId, member.id, ['qualified', 'won']);
    await referral(programId, second.id, ['lost']);

    const program = await api.get<Record<string, unknown>>(`/api/v1/programs/${programId}/capture-stats`);
    expect(program.status).toBe(200);
    expect(program.body).toEqual({
      programId,
      clicks: 5,
      referrals: 4,
      qualified: 2,
      won: 1,
      members: [
        { memberId: member.id, clicks: 4, referrals: 3, qualified: 2, won: 1 },
        { memberId: second.id, clicks: 1, referrals: 1, qualified: 0, won: 0 },
      ],
    });
    const one = await api.get(`/api/v1/members/${member.id}/capture-stats`);
    expect(one.body).toEqual({ memberId: member.id, clicks: 4, referrals: 3, qualified: 2, won: 1 });

    const future = new Date(Date.now() + 3600_000).toISOString();
    const later = await api.get<{ clicks: number; referrals: number }>(
      `/api/v1/programs/${programId}/capture-stats?clicksSince=${encodeURIComponent(future)}`,
    );
    expect(later.body.clicks).toBe(0);
    expect(later.body.referrals).toBe(4);

    // The console's dashboard: the same funnel for a period (today's, by default).
    const dashboard = await api.get<{ capture: unknown }>(`/api/v1/dashboard?programId=${programId}`);
    expect(dashboard.body.capture).toEqual({ clicks: 5, referrals: 4, qualified: 2, won: 1 });
    const past = await api.get<{ capture: unknown }>(
      `/api/v1/dashboard?programId=${programId}&from=2024-01-01&to=2024-01-31`,
    );
    expect(past.body.capture).toEqual({ clicks: 0, referrals: 0, qualified: 0, won: 0 });
  });

  it('qualified and won count referrals that ever reached them, also after a move back', async () => {
    const { programId, member } = await captureProgram(api);
    await referral(programId, member.id, ['qualified', 'submitted']);
    await referral(programId, member.id, ['qualified', 'won', 'lost']);
    await referral(programId, member.id, []);
    const one = await api.get(`/api/v1/members/${member.id}/capture-stats`);
    expect(one.body).toEqual({ memberId: member.id, clicks: 0, referrals: 3, qualified: 2, won: 1 });
    const program = await api.get<{ qualified: number; won: number }>(
      `/api/v1/programs/${programId}/capture-stats`,
    );
    expect([program.body.qualified, program.body.won]).toEqual([2, 1]);
  });

  it("another workspace's program answers 404", async () => {
    const { programId } = await captureProgram(api);
    const stranger = (await testApp.newWorkspace('Other')).api;
    expect((await stranger.get(`/api/v1/programs/${programId}/capture-stats`)).status).toBe(404);
  });
});

describe('old clicks', () => {
  it('are folded into counts per day and deleted after the retention period (400 days); the numbers stay', async () => {
    // The scheduled pass would race this test's own passes.
    await stopClickPruner(testApp.app.ctx);
    const { programId, member } = await captureProgram(api);
    const other = await newMember(api, programId);
    const db = testApp.app.ctx.db;
    const [row] = await db.select().from(members).where(eq(members.id, member.id));
    const workspaceId = row?.workspaceId ?? '';
    const now = new Date();
    const at = (daysAgo: number, hour = 10) =>
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysAgo, hour, 0, 0));
    const dayOf = (daysAgo: number) => at(daysAgo).toISOString().slice(0, 10);
    const click = (memberId: string, createdAt: Date) => ({
      id: newId('click'),
      workspaceId,
      programId,
      memberId,
      ipHash: 'h'.repeat(32),
      userAgent: browser,
      referrer: null,
      createdAt,
    });
    const rows = [
      click(member.id, at(500, 9)),
      click(member.id, at(500, 15)),
      click(member.id, at(450)),
      click(other.id, at(450)),
      click(member.id, at(401)),
      click(member.id, at(30)),
      click(member.id, at(0, 0)),
    ];
    await db.insert(captureClicks).values(rows);
    const statsOf = async (query = '') =>
      (
        await api.get<{ clicks: number; members: Array<{ memberId: string; clicks: number }> }>(
          `/api/v1/programs/${programId}/capture-stats${query}`,
        )
      ).body;
    const since = `?clicksSince=${encodeURIComponent(at(460, 0).toISOString())}&clicksUntil=${encodeURIComponent(at(400, 0).toISOString())}`;
    const before = await statsOf();
    const beforeBounded = await statsOf(since);
    expect(before.clicks).toBe(7);
    expect(beforeBounded.clicks).toBe(3);

    // Small batches, to see the work done in several.
    expect(await pruneClicks(testApp.app.ctx, now, 2)).toBe(5);
    const left = await db.select().from(captureClicks).where(eq(captureClicks.programId, programId));
    expect(left.map((row) => row.createdAt.toISOString()).sort()).toEqual(
      [at(30), at(0, 0)].map((date) => date.toISOString()).sort(),
    );
    const days = await db.select().from(captureClickDays).where(eq(captureClickDays.programId, programId));
    expect(
      days.map((row) => [row.memberId === member.id ? 'member' : 'other', row.day, row.clicks]).sort(),
    ).toEqual([
      ['member', dayOf(500), 2],
      ['member', dayOf(450), 1],
      ['member', dayOf(401), 1],
      ['other', dayOf(450), 1],
    ]);
    expect(await statsOf()).toEqual(before);
    expect(await statsOf(since)).toEqual(beforeBounded);
    // A second pass finds nothing more; a click of a later run adds to its day.
    expect(await pruneClicks(testApp.app.ctx, now)).toBe(0);
    await db.insert(captureClicks).values(click(member.id, at(500, 20)));
    expect(await pruneClicks(testApp.app.ctx, now)).toBe(1);
    expect((await statsOf()).clicks).toBe(8);

    // The scheduled pass does the same on its own.
    await db.insert(captureClicks).values(click(other.id, at(420)));
    startClickPruner(testApp.app.ctx, 50);
    await eventually(async () => {
      const rows = await db.select().from(captureClicks).where(eq(captureClicks.memberId, other.id));
      return rows.length === 0 ? true : undefined;
    }, 10_000);
    await stopClickPruner(testApp.app.ctx);
    expect((await statsOf()).clicks).toBe(9);
  });
});
