import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startTestApp, type TestApp } from '../../test/helpers/app.ts';

interface Program {
  id: string;
  name: string;
  referralLinkBase: string | null;
  milestones: Array<{ code: string; label: string; kind: string }>;
  memberFields: Array<{ key: string; type: string; required: boolean }>;
  referralFields: Array<{ key: string; type: string; required: boolean }>;
}

interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

let testApp: TestApp;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startTestApp();
  api = (await testApp.newWorkspace()).api;
});
afterAll(() => testApp.close());

describe('programs', () => {
  it('creates a program with the default milestones', async () => {
    const created = await api.post<Program>('/api/v1/programs', { name: 'Customer referrals' });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^prg_/);
    expect(created.body.milestones).toEqual([
      { code: 'submitted', label: 'Submitted', kind: 'pending' },
      { code: 'qualified', label: 'Qualified', kind: 'qualified' },
      { code: 'won', label: 'Won', kind: 'approved' },
      { code: 'lost', label: 'Lost', kind: 'denied' },
    ]);
    const fetched = await api.get<Program>(`/api/v1/programs/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it('keeps custom milestones in order, and custom field definitions', async () => {
    const created = await api.post<Program>('/api/v1/programs', {
      name: 'Partners',
      referralLinkBase: 'https://acme.example/refer',
      milestones: [
        { code: 'new', label: 'New', kind: 'pending' },
        { code: 'demo_booked', label: 'Demo booked', kind: 'qualified' },
        { code: 'closed_won', label: 'Closed won', kind: 'approved' },
        { code: 'rejected', label: 'Rejected', kind: 'denied' },
      ],
      memberFields: [{ key: 'tier', label: 'Tier', type: 'text', required: true }],
      referralFields: [{ key: 'seats', label: 'Seats', type: 'number' }],
    });
    expect(created.status).toBe(201);
    expect(created.body.milestones.map((m) => m.code)).toEqual([
      'new',
      'demo_booked',
      'closed_won',
      'rejected',
    ]);
    expect(created.body.memberFields).toEqual([{ key: 'tier', label: 'Tier', type: 'text', required: true }]);
    expect(created.body.referralFields).toEqual([
      { key: 'seats', label: 'Seats', type: 'number', required: false },
    ]);
  });

  it.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x', referralLinkBase: 'not a url' }, 'referralLinkBase'],
    [{ name: 'x', milestones: [] }, 'milestones'],
    [{ name: 'x', milestones: [{ code: 'won', label: 'Won', kind: 'approved' }] }, 'milestones'],
    [{ name: 'x', milestones: [{ code: 'Bad Code', label: 'B', kind: 'pending' }] }, 'milestones.0.code'],
    [{ name: 'x', milestones: [{ code: 'a', label: 'A', kind: 'maybe' }] }, 'milestones.0.kind'],
    [
      {
        name: 'x',
        milestones: [
          { code: 'a', label: 'A', kind: 'pending' },
          { code: 'a', label: 'A again', kind: 'qualified' },
        ],
      },
      'milestones.1',
    ],
    [{ name: 'x', memberFields: [{ key: 'plan', label: 'Plan', type: 'color' }] }, 'memberFields.0.type'],
  ])('rejects %j naming %s', async (body, field) => {
    const response = await api.post<ErrorBody>('/api/v1/programs', body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.details?.map((d) => d.field)).toContain(field);
    expect(response.body.error.message).toContain(field);
  });

  it('updates a program, but refuses to remove a milestone referrals are at', async () => {
    const program = (await api.post<Program>('/api/v1/programs', { name: 'Editable' })).body;
    const renamed = await api.patch<Program>(`/api/v1/programs/${program.id}`, { name: 'Edited' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Edited');

    await api.post('/api/v1/referrals', {
      programId: program.id,
      email: 'at-qualified@example.com',
      milestone: 'qualified',
    });
    const removal = await api.patch<ErrorBody>(`/api/v1/programs/${program.id}`, {
      milestones: [
        { code: 'submitted', label: 'Submitted', kind: 'pending' },
        { code: 'won', label: 'Won', kind: 'approved' },
      ],
    });
    expect(removal.status).toBe(409);
    expect(removal.body.error.message).toContain('qualified (1 referrals)');
    const unchanged = await api.get<Program>(`/api/v1/programs/${program.id}`);
    expect(unchanged.body.milestones).toHaveLength(4);

    const added = await api.patch<Program>(`/api/v1/programs/${program.id}`, {
      milestones: [...unchanged.body.milestones, { code: 'paid', label: 'Paid', kind: 'approved' }],
    });
    expect(added.status).toBe(200);
    expect(added.body.milestones.map((m) => m.code)).toEqual([
      'submitted',
      'qualified',
      'won',
      'lost',
      'paid',
    ]);
  });

  it('answers 404 for an unknown program', async () => {
    const response = await api.get<ErrorBody>('/api/v1/programs/prg_doesnotexist');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it('pages through programs newest first without gaps or repeats', async () => {
    const { api: fresh } = await testApp.newWorkspace('paging');
    const names = Array.from({ length: 7 }, (_, i) => `Program ${i}`);
    for (const name of names) await fresh.post('/api/v1/programs', { name });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const page = await fresh.get<{ data: Program[]; nextCursor: string | null }>(
        `/api/v1/programs${query}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((p) => p.name));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...names].reverse());
  });

  it('rejects a cursor it did not make', async () => {
    const response = await api.get<ErrorBody>('/api/v1/programs?cursor=garbage');
    expect(response.status).toBe(400);
    expect(response.body.error.details?.[0]?.field).toBe('cursor');
  });
});
