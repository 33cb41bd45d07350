import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApp, type TestApp } from '../../test/helpers/app.ts';
import { claimCode } from './codes.ts';

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
      `${testApp.app.ctx.config.publicUrl}/r/${created.body.referralCode}`,
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

  it('keeps emails and external IDs unique within a program, referral codes across the install, case-insensitively', async () => {
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
    // Another program may reuse the email and the external ID, not the code.
    const elsewhere = await api.post<Member>('/api/v1/members', {
      programId,
      email: 'first@example.com',
      externalId: 'e-1',
      customFields: { tier: 'silver' },
    });
    expect(elsewhere.status).toBe(201);
    const codeElsewhere = await api.post<ErrorBody>('/api/v1/members', {
      programId,
      email: 'second@example.com',
      referralCode: 'Unique1',
      customFields: { tier: 'silver' },
    });
    expect(codeElsewhere.status).toBe(409);
    expect(codeElsewhere.body.error.details).toEqual([
      { field: 'referralCode', message: 'is already taken; choose another' },
    ]);
    // Nor may another workspace; the answer does not say where the code is used.
    const stranger = (await testApp.newWorkspace('code elsewhere')).api;
    const strangerProgram = (await stranger.post<{ id: string }>('/api/v1/programs', { name: 'S' })).body.id;
    const theirs = await stranger.post<ErrorBody>('/api/v1/members', {
      programId: strangerProgram,
      email: 'first@example.com',
      referralCode: 'UNIQUE1',
    });
    expect(theirs.status).toBe(409);
    expect(theirs.body.error.message).toBe('referralCode: this code is already taken; choose another');
    expect(JSON.stringify(theirs.body)).not.toContain(linkedProgramId);
    const renamed = await stranger.post<Member>('/api/v1/members', {
      programId: strangerProgram,
      email: 'first@example.com',
      referralCode: 'UNIQUE2',
    });
    expect(renamed.status).toBe(201);
    expect(renamed.body.referralLink).toBe(`${testApp.app.ctx.config.publicUrl}/r/UNIQUE2`);
  });

  it('a changed code must be free across the install; a change of case of its own code is no change', async () => {
    const mine = (
      await api.post<Member>('/api/v1/members', {
        programId: linkedProgramId,
        externalId: 'chg-1',
        referralCode: 'CHANGE-A',
      })
    ).body;
    await api.post<Member>('/api/v1/members', {
      programId,
      email: 'chg@example.com',
      referralCode: 'CHANGE-B',
      customFields: { tier: 'x' },
    });
    const taken = await api.patch<ErrorBody>(`/api/v1/members/${mine.id}`, { referralCode: 'change-b' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.details?.[0]?.field).toBe('referralCode');
    const recased = await api.patch<Member>(`/api/v1/members/${mine.id}`, { referralCode: 'Change-A' });
    expect(recased.status).toBe(200);
    expect(recased.body.referralCode).toBe('Change-A');
    const moved = await api.patch<Member>(`/api/v1/members/${mine.id}`, { referralCode: 'CHANGE-C' });
    expect(moved.status).toBe(200);
    // The old code is free again.
    const reused = await api.post<Member>('/api/v1/members', {
      programId: linkedProgramId,
      externalId: 'chg-2',
      referralCode: 'change-a',
    });
    expect(reused.status).toBe(201);
  });

  it('of simultaneous writers of one code in different programs, exactly one gets it', async () => {
    const programs = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        api.post<{ id: string }>('/api/v1/programs', { name: `Race ${i}` }),
      ),
    );
    const answers = await Promise.all(
      programs.map((program, i) =>
        api.post<Member>('/api/v1/members', {
          programId: program.body.id,
          email: `race-${i}@example.com`,
          referralCode: i % 2 === 0 ? 'RACE-CODE' : 'race-code',
        }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409]);
  });

  it('a generated code that is taken is drawn again', async () => {
    const taken = (
      await api.post<Member>('/api/v1/members', { programId: linkedProgramId, externalId: 'gen-1' })
    ).body;
    const draws = [taken.referralCode.toLowerCase(), taken.referralCode, 'FRESH234'];
    const code = await testApp.app.ctx.db.transaction((tx) =>
      claimCode(tx, undefined, undefined, () => draws.shift() ?? 'NEVER'),
    );
    expect(code).toBe('FRESH234');
    expect(draws).toEqual([]);
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
    [
      { programId: 'PROGRAM', email: 'x@example.com', referralCode: 'prg_abc', customFields: { tier: 'a' } },
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
