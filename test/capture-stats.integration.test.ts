import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, TestApp } from './helpers/app.ts';
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
  });

  it("another workspace's program answers 404", async () => {
    const { programId } = await captureProgram(api);
    const stranger = (await testApp.newWorkspace('Other')).api;
    expect((await stranger.get(`/api/v1/programs/${programId}/capture-stats`)).status).toBe(404);
  });
});
