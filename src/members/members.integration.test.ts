import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApp, type TestApp } from '../../test/helpers/app.ts';

interface Member {
  id: string;
  programId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  referralCode: string;
  referralLink: string;
  customFields: Record<string, unknown>;
  updatedAt: string;
}

interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

let testApp: TestApp;
let api: ApiClient;
let programId: string;
let linkedProgramId: string;

beforeAll(async () => {
  testApp = await startTestApp();
  api = (await testApp.newWorkspace()).api;
  programId = (
    await api.post<{ id: string }>('/api/v1/programs', {
      name: 'Advocates',
      memberFields: [
        { key: 'tier', label: 'Tier', type: 'text', required: true },
        { key: 'since', label: 'Customer since', type: 'date' },
      ],
    })
  ).body.id;
  linkedProgramId = (
    await api.post<{ id: string }>('/api/v1/programs', {
      name: 'Linked',
      referralLinkBase: 'https://acme.example/r?utm=x',
    })
  ).body.id;
});
afterAll(() => testApp.close());

describe('members', () => {
  it('creates a member with a generated referral code and link', async () => {
    const created = await api.post<Member>('/api/v1/members', {
      programId,
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'Ada@Example.com',
      phone: '+44 20 7946 0000',
      externalId: 'cust-1',
      customFields: { tier: 'gold', since: '2024-03-01' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      programId,
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'Ada@Example.com',
      externalId: 'cust-1',
      customFields: { tier: 'gold', since: '2024-03-01' },
    });
    expect(created.body.referralCode).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(created.body.referralLink).toBe(
      `${testApp.app.ctx.config.publicUrl}/r/${programId}?ref=${created.body.referralCode}`,
    );
    const fetched = await api.get<Member>(`/api/v1/members/${created.body.id}`);
    expect(fetched.body).toEqual(created.body);
  });

  it('takes a given referral code and builds the link on the program landing page', async () => {
    const created = await api.post<Member>('/api/v1/members', {
      programId: linkedProgramId,
      email: 'b@example.com',
      referralCode: 'BOB-2024',
    });
    expect(created.status).toBe(201);
    expect(created.body.referralCode).toBe('BOB-2024');
    expect(created.body.referralLink).toBe('https://acme.example/r?utm=x&ref=BOB-2024');
  });

  it('keeps referral codes, emails and external IDs unique within a program, case-insensitively', async () => {
    await api.post('/api/v1/members', {
      programId: linkedProgramId,
      email: 'first@example.com',
      referralCode: 'UNIQUE1',
      externalId: 'e-1',
    });
    const sameCode = await api.post<ErrorBody>('/api/v1/members', {
      programId: linkedProgramId,
      email: 'other@example.com',
      referralCode: 'unique1',
    });
    expect(sameCode.status).toBe(409);
    expect(sameCode.body.error.details?.[0]?.field).toBe('referralCode');
    const sameEmail = await api.post<ErrorBody>('/api/v1/members', {
      programId: linkedProgramId,
      email: 'FIRST@example.com',
    });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.error.details?.[0]?.field).toBe('email');
    const sameExternal = await api.post<ErrorBody>('/api/v1/members', {
      programId: linkedProgramId,
      externalId: 'e-1',
    });
    expect(sameExternal.status).toBe(409);
    expect(sameExternal.body.error.details?.[0]?.field).toBe('externalId');
    // Another program may reuse all of them.
    const elsewhere = await api.post<Member>('/api/v1/members', {
      programId,
      email: 'first@example.com',
      referralCode: 'UNIQUE1',
      externalId: 'e-1',
      customFields: { tier: 'silver' },
    });
    expect(elsewhere.status).toBe(201);
  });

  it.each([
    [{ email: 'x@example.com', customFields: { tier: 'gold' } }, 'programId', 400],
    [{ programId: 'prg_nope', email: 'x@example.com' }, 'programId', 400],
    [{ programId: 'PROGRAM', customFields: { tier: 'gold' } }, 'email', 400],
    [{ programId: 'PROGRAM', email: 'not-an-email', customFields: { tier: 'gold' } }, 'email', 400],
    [{ programId: 'PROGRAM', email: 'x@example.com' }, 'customFields.tier', 400],
    [{ programId: 'PROGRAM', email: 'x@example.com', customFields: { tier: 3 } }, 'customFields.tier', 400],
    [
      { programId: 'PROGRAM', email: 'x@example.com', customFields: { tier: 'a', since: 'yesterday' } },
      'customFields.since',
      400,
    ],
    [
      { programId: 'PROGRAM', email: 'x@example.com', customFields: { tier: 'a', color: 'red' } },
      'customFields.color',
      400,
    ],
    [
      { programId: 'PROGRAM', email: 'x@example.com', referralCode: 'a b', customFields: { tier: 'a' } },
      'referralCode',
      400,
    ],
  ])('rejects %j naming %s', async (body, field, status) => {
    const withProgram = JSON.parse(JSON.stringify(body).replace('"PROGRAM"', JSON.stringify(programId)));
    const before = await api.get<{ data: Member[] }>(`/api/v1/members?programId=${programId}&limit=200`);
    const response = await api.post<ErrorBody>('/api/v1/members', withProgram);
    expect(response.status).toBe(status);
    expect(response.body.error.details?.map((d) => d.field)).toContain(field);
    const after = await api.get<{ data: Member[] }>(`/api/v1/members?programId=${programId}&limit=200`);
    expect(after.body.data).toHaveLength(before.body.data.length);
  });

  it('updates a member and clears a custom field with null', async () => {
    const member = (
      await api.post<Member>('/api/v1/members', {
        programId,
        email: 'upd@example.com',
        customFields: { tier: 'gold', since: '2020-01-01' },
      })
    ).body;
    const updated = await api.patch<Member>(`/api/v1/members/${member.id}`, {
      firstName: 'Grace',
      customFields: { since: null },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.firstName).toBe('Grace');
    expect(updated.body.customFields).toEqual({ tier: 'gold' });
    const requiredCleared = await api.patch<ErrorBody>(`/api/v1/members/${member.id}`, {
      customFields: { tier: null },
    });
    expect(requiredCleared.status).toBe(400);
    expect(requiredCleared.body.error.details?.[0]?.field).toBe('customFields.tier');
  });

  it('filters by email case-insensitively, external ID, referral code and updatedSince', async () => {
    const { api: fresh } = await testApp.newWorkspace('member filters');
    const program = (await fresh.post<{ id: string }>('/api/v1/programs', { name: 'P' })).body.id;
    const a = (
      await fresh.post<Member>('/api/v1/members', {
        programId: program,
        email: 'Mixed.Case@Example.com',
        referralCode: 'CODEA',
      })
    ).body;
    const b = (await fresh.post<Member>('/api/v1/members', { programId: program, externalId: 'crm-42' }))
      .body;
    const byEmail = await fresh.get<{ data: Member[] }>('/api/v1/members?email=mixed.case@example.COM');
    expect(byEmail.body.data.map((m) => m.id)).toEqual([a.id]);
    expect(byEmail.body.data[0]?.email).toBe('Mixed.Case@Example.com');
    const byExternal = await fresh.get<{ data: Member[] }>('/api/v1/members?externalId=crm-42');
    expect(byExternal.body.data.map((m) => m.id)).toEqual([b.id]);
    const byCode = await fresh.get<{ data: Member[] }>('/api/v1/members?referralCode=codea');
    expect(byCode.body.data.map((m) => m.id)).toEqual([a.id]);
    const since = new Date(Date.now() + 60_000).toISOString();
    const none = await fresh.get<{ data: Member[] }>(
      `/api/v1/members?updatedSince=${encodeURIComponent(since)}`,
    );
    expect(none.body.data).toEqual([]);
    const all = await fresh.get<{ data: Member[] }>(
      `/api/v1/members?updatedSince=${encodeURIComponent(a.updatedAt)}`,
    );
    expect(all.body.data.map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
    const badDate = await fresh.get<ErrorBody>('/api/v1/members?updatedSince=last-week');
    expect(badDate.status).toBe(400);
    expect(badDate.body.error.details?.[0]?.field).toBe('updatedSince');
  });
});
