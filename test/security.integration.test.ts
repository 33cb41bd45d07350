import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';

let testApp: TestApp;
let owner: ApiClient;
let stranger: ApiClient;
let program: { id: string };
let member: { id: string; referralCode: string };
let referral: { id: string };

beforeAll(async () => {
  testApp = await startTestApp();
  owner = (await testApp.newWorkspace('owner')).api;
  stranger = (await testApp.newWorkspace('stranger')).api;
  program = (await owner.post<{ id: string }>('/api/v1/programs', { name: 'Private program' })).body;
  member = (
    await owner.post<{ id: string; referralCode: string }>('/api/v1/members', {
      programId: program.id,
      email: 'secret-member@example.com',
    })
  ).body;
  referral = (
    await owner.post<{ id: string }>('/api/v1/referrals', {
      programId: program.id,
      memberId: member.id,
      email: 'secret-referral@example.com',
    })
  ).body;
});
afterAll(() => testApp.close());

describe('every API route is protected', () => {
  it('answers 401 without a key, with a bad key, and with a revoked key', async () => {
    const spec = (
      await testApp.anonymous.get<{ paths: Record<string, Record<string, unknown>> }>('/api/v1/openapi.json')
    ).body;
    const all = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          method: method.toUpperCase(),
          path,
          open:
            Array.isArray((operation as { security?: unknown }).security) &&
            (operation as { security: unknown[] }).security.length === 0,
        })),
      );
    // Only signing in, opening a one-time link and the conversion script's calls (which carry
    // a program's publishable key) are reached without a caller, and say so.
    expect(
      all
        .filter((route) => route.open)
        .map((route) => `${route.method} ${route.path}`)
        .sort(),
    ).toEqual([
      'POST /api/v1/auth/sign-in',
      'POST /api/v1/auth/welcome',
      'POST /api/v1/auth/welcome/open',
      'POST /api/v1/capture/{key}/signups',
      'POST /api/v1/capture/{key}/visits',
    ]);
    const routes = all.filter((route) => !route.open).map((route) => [route.method, route.path] as const);
    expect(routes.length).toBeGreaterThanOrEqual(15);

    const created = await owner.post<{ id: string; key: string }>('/api/v1/api-keys', { name: 'to revoke' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^rsk_/);
    const revokedClient = owner.withKey(created.body.key);
    expect((await revokedClient.get('/api/v1/workspace')).status).toBe(200);
    const revoked = await owner.delete<{ revokedAt: string | null }>(`/api/v1/api-keys/${created.body.id}`);
    expect(revoked.body.revokedAt).not.toBeNull();

    for (const client of [testApp.anonymous, owner.withKey('rsk_notarealkey000000000000'), revokedClient]) {
      for (const [method, path] of routes) {
        const concrete = path.replace(/\{[^}]+\}/g, 'x');
        const response = await client.request<{ error: { code: string } }>(method, concrete, {
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
        });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect(response.body.error.code).toBe('unauthorized');
      }
    }
  });

  it('lists keys without their secret', async () => {
    const keys = await owner.get<{ data: Array<Record<string, unknown>> }>('/api/v1/api-keys');
    expect(keys.body.data.length).toBeGreaterThan(0);
    for (const key of keys.body.data) {
      expect(key).not.toHaveProperty('key');
      expect(key).not.toHaveProperty('hash');
      expect(String(key.prefix)).toHaveLength(8);
    }
  });
});

describe("one workspace never sees another's data", () => {
  it.each([
    ['GET', () => `/api/v1/programs/${program.id}`, undefined],
    ['PATCH', () => `/api/v1/programs/${program.id}`, { name: 'stolen' }],
    ['GET', () => `/api/v1/members/${member.id}`, undefined],
    ['PATCH', () => `/api/v1/members/${member.id}`, { firstName: 'stolen' }],
    ['GET', () => `/api/v1/referrals/${referral.id}`, undefined],
    ['PATCH', () => `/api/v1/referrals/${referral.id}`, { company: 'stolen' }],
    ['POST', () => `/api/v1/referrals/${referral.id}/milestone`, { milestone: 'won' }],
  ] as const)('%s %s answers 404', async (method, path, body) => {
    const response = await stranger.request<{ error: { code: string } }>(method, path(), {
      ...(body === undefined ? {} : { body }),
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it("does not revoke another workspace's key", async () => {
    const keys = await owner.get<{ data: Array<{ id: string; revokedAt: string | null }> }>(
      '/api/v1/api-keys',
    );
    const keyId = keys.body.data.find((k) => k.revokedAt === null)?.id ?? '';
    expect(keyId).not.toBe('');
    expect((await stranger.delete(`/api/v1/api-keys/${keyId}`)).status).toBe(404);
    const after = await owner.get<{ data: Array<{ id: string; revokedAt: string | null }> }>(
      '/api/v1/api-keys',
    );
    expect(after.body.data.find((k) => k.id === keyId)?.revokedAt).toBeNull();
  });

  it('leaves the owner data untouched', async () => {
    expect((await owner.get<{ name: string }>(`/api/v1/programs/${program.id}`)).body.name).toBe(
      'Private program',
    );
    expect(
      (await owner.get<{ firstName: string | null }>(`/api/v1/members/${member.id}`)).body.firstName,
    ).toBeNull();
    const ownReferral = await owner.get<{ company: string | null; milestone: string }>(
      `/api/v1/referrals/${referral.id}`,
    );
    expect(ownReferral.body).toMatchObject({ company: null, milestone: 'submitted' });
  });

  it('shows nothing of it in lists, filters or jobs', async () => {
    for (const path of [
      '/api/v1/programs',
      '/api/v1/members',
      `/api/v1/members?programId=${program.id}`,
      '/api/v1/members?email=secret-member@example.com',
      '/api/v1/referrals',
      `/api/v1/referrals?programId=${program.id}`,
      `/api/v1/referrals?memberId=${member.id}`,
      '/api/v1/referrals?email=secret-referral@example.com',
      '/api/v1/jobs',
    ]) {
      const response = await stranger.get<{ data: unknown[] }>(path);
      expect(response.status, path).toBe(200);
      expect(response.body.data, path).toEqual([]);
    }
  });

  it("cannot attach records to another workspace's program or member", async () => {
    const intoProgram = await stranger.post<{ error: { details: Array<{ field: string }> } }>(
      '/api/v1/referrals',
      {
        programId: program.id,
        email: 'intruder@example.com',
      },
    );
    expect(intoProgram.status).toBe(400);
    expect(intoProgram.body.error.details[0]?.field).toBe('programId');
    const strangerProgram = (await stranger.post<{ id: string }>('/api/v1/programs', { name: 'Mine' })).body;
    const withMember = await stranger.post<{ error: { details: Array<{ field: string }> } }>(
      '/api/v1/referrals',
      {
        programId: strangerProgram.id,
        memberId: member.id,
        email: 'intruder@example.com',
      },
    );
    expect(withMember.status).toBe(400);
    expect(withMember.body.error.details[0]?.field).toBe('memberId');
    const memberIntoProgram = await stranger.post('/api/v1/members', {
      programId: program.id,
      email: 'i@example.com',
    });
    expect(memberIntoProgram.status).toBe(400);
  });
});
