import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApp, type TestApp } from '../../test/helpers/app.ts';

interface HistoryEntry {
  from: string | null;
  to: string;
  actor: string;
  reason: string | null;
  feedback: string | null;
  overrodeDenied: boolean;
  createdAt: string;
}

interface Referral {
  id: string;
  programId: string;
  memberId: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  company: string | null;
  source: string | null;
  sourceNote: string | null;
  externalId: string | null;
  customFields: Record<string, unknown>;
  milestone: string;
  milestoneKind: string;
  updatedAt: string;
  history: HistoryEntry[];
}

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

let testApp: TestApp;
let api: ApiClient;
let programId: string;
let otherProgramId: string;
let member: { id: string; referralCode: string };

beforeAll(async () => {
  testApp = await startTestApp();
  api = (await testApp.newWorkspace()).api;
  programId = (
    await api.post<{ id: string }>('/api/v1/programs', {
      name: 'Referrals',
      referralFields: [{ key: 'seats', label: 'Seats', type: 'number' }],
    })
  ).body.id;
  otherProgramId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'Other' })).body.id;
  member = (
    await api.post<{ id: string; referralCode: string }>('/api/v1/members', {
      programId,
      email: 'referrer@example.com',
      referralCode: 'ADA2024',
    })
  ).body;
});
afterAll(() => testApp.close());

const newReferral = async (body: Record<string, unknown> = {}) => {
  const response = await api.post<Referral>('/api/v1/referrals', {
    programId,
    firstName: 'Bob',
    lastName: 'Buyer',
    email: `bob.${Math.random().toString(36).slice(2)}@Prospect.example`,
    ...body,
  });
  expect(response.status).toBe(201);
  return response.body;
};

describe('creating referrals', () => {
  it('stores every field and starts at the first milestone with a history entry', async () => {
    const created = await api.post<Referral>('/api/v1/referrals', {
      programId,
      referralCode: 'ada2024',
      firstName: 'Bob',
      lastName: 'Buyer',
      email: 'Bob.Buyer@Prospect.example',
      company: 'Prospect Ltd',
      phone: '+1 555 0100',
      source: 'form',
      sourceNote: 'met at the fair',
      externalId: 'lead-77',
      customFields: { seats: 25 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      programId,
      memberId: member.id,
      email: 'Bob.Buyer@Prospect.example',
      company: 'Prospect Ltd',
      source: 'form',
      sourceNote: 'met at the fair',
      externalId: 'lead-77',
      customFields: { seats: 25 },
      milestone: 'submitted',
      milestoneKind: 'pending',
    });
    expect(created.body.history).toHaveLength(1);
    expect(created.body.history[0]).toMatchObject({ from: null, to: 'submitted', reason: 'created' });
    expect(created.body.history[0]?.actor).toMatch(/^api_key:key_/);
  });

  it('names the referring member by ID', async () => {
    const created = await newReferral({ memberId: member.id });
    expect(created.memberId).toBe(member.id);
  });

  it.each([
    [{ referralCode: 'NOPE99' }, 'referralCode', 'matches no member'],
    [{ memberId: 'mem_unknown' }, 'memberId', 'no member'],
    [{ memberId: 'MEMBER', referralCode: 'OTHER1' }, 'referralCode', 'belongs to member'],
    [{ programId: 'OTHER_PROGRAM', referralCode: 'ADA2024' }, 'referralCode', 'matches no member'],
    [{ customFields: { seats: 'many' } }, 'customFields.seats', 'must be a number'],
    [{ milestone: 'closed' }, 'milestone', 'not a milestone'],
    [{ email: null, firstName: null, lastName: null }, 'email', 'needs an email'],
  ])('rejects %j naming %s', async (overrides, field, text) => {
    await api.post('/api/v1/members', {
      programId,
      email: 'other-referrer@example.com',
      referralCode: 'OTHER1',
    });
    const body = JSON.parse(
      JSON.stringify({ programId, firstName: 'X', email: 'x@example.com', ...overrides })
        .replace('"MEMBER"', JSON.stringify(member.id))
        .replace('"OTHER_PROGRAM"', JSON.stringify(otherProgramId)),
    );
    const before = await api.get<{ data: Referral[] }>('/api/v1/referrals?email=x@example.com');
    const response = await api.post<ErrorBody>('/api/v1/referrals', body);
    expect([400, 422]).toContain(response.status);
    expect(response.body.error.message).toContain(field);
    expect(response.body.error.message).toContain(text);
    const after = await api.get<{ data: Referral[] }>('/api/v1/referrals?email=x@example.com');
    expect(after.body.data).toHaveLength(before.body.data.length);
  });

  it('answers 400 naming every bad field at once', async () => {
    const response = await api.post<{ error: { details: Array<{ field: string }> } }>('/api/v1/referrals', {
      programId,
      email: 'nope',
      firstName: 7,
      overrideDenied: 'x',
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d) => d.field).sort()).toEqual(['email', 'firstName']);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await api.request<ErrorBody>('POST', '/api/v1/referrals', {
      rawBody: '{"programId": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('bad_request');
  });
});

describe('milestones', () => {
  const move = (id: string, body: Record<string, unknown>) =>
    api.post<Referral & ErrorBody>(`/api/v1/referrals/${id}/milestone`, body);

  it('moves a referral and records who, why and the feedback for the referrer', async () => {
    const referral = await newReferral();
    const moved = await move(referral.id, {
      milestone: 'qualified',
      reason: 'demo booked',
      feedback: 'Great lead!',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.milestone).toBe('qualified');
    expect(moved.body.milestoneKind).toBe('qualified');
    expect(moved.body.history.map((h) => [h.from, h.to])).toEqual([
      [null, 'submitted'],
      ['submitted', 'qualified'],
    ]);
    expect(moved.body.history[1]).toMatchObject({
      reason: 'demo booked',
      feedback: 'Great lead!',
      overrodeDenied: false,
    });
  });

  it('treats a move to the current milestone as no change', async () => {
    const referral = await newReferral();
    const same = await move(referral.id, { milestone: 'submitted' });
    expect(same.status).toBe(200);
    expect(same.body.history).toHaveLength(1);
  });

  it('rejects unknown milestone codes with 422', async () => {
    const referral = await newReferral();
    const response = await move(referral.id, { milestone: 'closed_won' });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('unknown_milestone');
    expect((await api.get<Referral>(`/api/v1/referrals/${referral.id}`)).body.milestone).toBe('submitted');
  });

  it('locks an approved referral', async () => {
    const referral = await newReferral();
    expect((await move(referral.id, { milestone: 'won' })).status).toBe(200);
    for (const body of [{ milestone: 'lost' }, { milestone: 'submitted', overrideDenied: true }]) {
      const response = await move(referral.id, body);
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('referral_locked');
    }
    const after = await api.get<Referral>(`/api/v1/referrals/${referral.id}`);
    expect(after.body.milestone).toBe('won');
    expect(after.body.history).toHaveLength(2);
  });

  it('moves a denied referral only when told denied may be overridden', async () => {
    const referral = await newReferral();
    await move(referral.id, { milestone: 'lost', reason: 'no budget' });
    const refused = await move(referral.id, { milestone: 'qualified' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('referral_denied');
    const overridden = await move(referral.id, {
      milestone: 'qualified',
      overrideDenied: true,
      reason: 'budget found',
    });
    expect(overridden.status).toBe(200);
    expect(overridden.body.milestone).toBe('qualified');
    expect(overridden.body.history.at(-1)).toMatchObject({
      from: 'lost',
      to: 'qualified',
      overrodeDenied: true,
    });
  });

  it('serializes concurrent changes: each is applied once, history stays consistent', async () => {
    const referral = await newReferral();
    const results = await Promise.all([
      move(referral.id, { milestone: 'qualified' }),
      move(referral.id, { milestone: 'won' }),
      move(referral.id, { milestone: 'lost' }),
    ]);
    const after = (await api.get<Referral>(`/api/v1/referrals/${referral.id}`)).body;
    for (let i = 1; i < after.history.length; i++) {
      expect(after.history[i]?.from).toBe(after.history[i - 1]?.to);
    }
    expect(after.history.at(-1)?.to).toBe(after.milestone);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
  });

  it('answers 404 for an unknown referral', async () => {
    const response = await move('ref_unknown', { milestone: 'won' });
    expect(response.status).toBe(404);
  });
});

describe('updating and listing referrals', () => {
  it('updates contact details and the referring member, never the milestone', async () => {
    const referral = await newReferral();
    const updated = await api.patch<Referral>(`/api/v1/referrals/${referral.id}`, {
      company: 'NewCo',
      referralCode: 'ADA2024',
      milestone: 'won',
    });
    expect(updated.status).toBe(200);
    expect(updated.body.company).toBe('NewCo');
    expect(updated.body.memberId).toBe(member.id);
    expect(updated.body.milestone).toBe('submitted');
  });

  it('filters by program, member, milestone, email (case-insensitively) and updatedSince', async () => {
    const { api: fresh } = await testApp.newWorkspace('filters');
    const p1 = (await fresh.post<{ id: string }>('/api/v1/programs', { name: 'P1' })).body.id;
    const p2 = (await fresh.post<{ id: string }>('/api/v1/programs', { name: 'P2' })).body.id;
    const m = (await fresh.post<{ id: string }>('/api/v1/members', { programId: p1, email: 'm@example.com' }))
      .body.id;
    const a = (
      await fresh.post<Referral>('/api/v1/referrals', {
        programId: p1,
        memberId: m,
        email: 'Alice@Example.COM',
      })
    ).body;
    const b = (await fresh.post<Referral>('/api/v1/referrals', { programId: p1, email: 'bob@example.com' }))
      .body;
    const c = (await fresh.post<Referral>('/api/v1/referrals', { programId: p2, email: 'alice@example.com' }))
      .body;
    await fresh.post(`/api/v1/referrals/${b.id}/milestone`, { milestone: 'qualified' });
    const ids = async (query: string) =>
      (await fresh.get<{ data: Referral[] }>(`/api/v1/referrals?${query}`)).body.data.map((r) => r.id);
    expect(await ids(`programId=${p1}`)).toEqual([b.id, a.id]);
    expect(await ids(`memberId=${m}`)).toEqual([a.id]);
    expect(await ids('milestone=qualified')).toEqual([b.id]);
    expect(await ids('email=ALICE@example.com')).toEqual([c.id, a.id]);
    expect(await ids(`email=alice@example.com&programId=${p2}`)).toEqual([c.id]);
    const latest = (await fresh.get<Referral>(`/api/v1/referrals/${b.id}`)).body.updatedAt;
    expect(await ids(`updatedSince=${encodeURIComponent(latest)}`)).toEqual([b.id]);
    const emailKept = (await fresh.get<Referral>(`/api/v1/referrals/${a.id}`)).body.email;
    expect(emailKept).toBe('Alice@Example.COM');
  });

  it('pages with a cursor', async () => {
    const { api: fresh } = await testApp.newWorkspace('paging');
    const p = (await fresh.post<{ id: string }>('/api/v1/programs', { name: 'P' })).body.id;
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push(
        (await fresh.post<Referral>('/api/v1/referrals', { programId: p, email: `r${i}@example.com` })).body
          .id,
      );
    }
    const first = await fresh.get<{ data: Referral[]; nextCursor: string | null }>(
      '/api/v1/referrals?limit=2',
    );
    const second = await fresh.get<{ data: Referral[]; nextCursor: string | null }>(
      `/api/v1/referrals?limit=2&cursor=${first.body.nextCursor}`,
    );
    const third = await fresh.get<{ data: Referral[]; nextCursor: string | null }>(
      `/api/v1/referrals?limit=2&cursor=${second.body.nextCursor}`,
    );
    expect([...first.body.data, ...second.body.data, ...third.body.data].map((r) => r.id)).toEqual(
      created.reverse(),
    );
    expect(third.body.nextCursor).toBeNull();
    const tooBig = await fresh.get<ErrorBody>('/api/v1/referrals?limit=1000');
    expect(tooBig.status).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer and creates one referral', async () => {
    const body = { programId, email: 'idem@example.com', firstName: 'Idem' };
    const headers = { 'idempotency-key': 'create-idem-1' };
    const first = await api.post<Referral>('/api/v1/referrals', body, headers);
    const second = await api.post<Referral>('/api/v1/referrals', body, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const listed = await api.get<{ data: Referral[] }>('/api/v1/referrals?email=idem@example.com');
    expect(listed.body.data).toHaveLength(1);
  });

  it('refuses the same key with a different body', async () => {
    const headers = { 'idempotency-key': 'create-idem-2' };
    await api.post('/api/v1/referrals', { programId, email: 'one@example.com' }, headers);
    const reused = await api.post<ErrorBody>(
      '/api/v1/referrals',
      { programId, email: 'two@example.com' },
      headers,
    );
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    const listed = await api.get<{ data: Referral[] }>('/api/v1/referrals?email=two@example.com');
    expect(listed.body.data).toHaveLength(0);
  });

  it('replays an error answer too, and keys are per workspace', async () => {
    const headers = { 'idempotency-key': 'bad-1' };
    const body = { programId, email: 'bad-code@example.com', referralCode: 'NOPE99' };
    const first = await api.post<ErrorBody>('/api/v1/referrals', body, headers);
    const again = await api.post<ErrorBody>('/api/v1/referrals', body, headers);
    expect(first.status).toBe(400);
    expect(again.status).toBe(400);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const { api: other } = await testApp.newWorkspace('other');
    const otherProgram = (await other.post<{ id: string }>('/api/v1/programs', { name: 'P' })).body.id;
    const sameKeyElsewhere = await other.post<Referral>(
      '/api/v1/referrals',
      { programId: otherProgram, email: 'fine@example.com' },
      headers,
    );
    expect(sameKeyElsewhere.status).toBe(201);
  });

  it('replays milestone moves instead of applying them twice', async () => {
    const referral = await newReferral();
    const headers = { 'idempotency-key': `move-${referral.id}` };
    await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'lost' }, headers);
    await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'lost' }, headers);
    const after = await api.get<Referral>(`/api/v1/referrals/${referral.id}`);
    expect(after.body.history.map((h) => h.to)).toEqual(['submitted', 'lost']);
  });
});
