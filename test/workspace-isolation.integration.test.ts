import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, TestApp } from './helpers/app.ts';
import { apiRoutes, concretePath, startWithEveryRecord } from './helpers/every-record.ts';

/**
 * Every API route that names a record (in its path, or an ID filter in its query) answers
 * another workspace as if the record did not exist. Routes come from the OpenAPI document,
 * so a new route is checked as soon as it exists: the test fails until it knows a body for it
 * and which record its path names.
 */

let testApp: TestApp;
let owner: ApiClient;
let stranger: ApiClient;
let ids: Record<string, string>;

beforeAll(async () => {
  ({ testApp, owner, stranger, ids } = await startWithEveryRecord());
}, 120_000);
afterAll(() => testApp.close());

function isPublic(operation: object): boolean {
  const security = (operation as { security?: unknown }).security;
  return Array.isArray(security) && security.length === 0;
}

/** A body each route accepts, so the answer is about the record, not the body. */
const bodies: Record<string, unknown> = {
  'POST /api/v1/api-keys/{id}': {},
  'PATCH /api/v1/programs/{id}': { name: 'stolen' },
  'PATCH /api/v1/members/{id}': { firstName: 'stolen' },
  'PATCH /api/v1/referrals/{id}': { company: 'stolen' },
  'POST /api/v1/referrals/{id}/milestone': { milestone: 'lost' },
  'POST /api/v1/connections/{id}/fields': { object: 'Lead' },
  'POST /api/v1/connections/{id}/sandbox-wiring': {},
  'PATCH /api/v1/push-settings/{id}': { enabled: false },
  'PATCH /api/v1/receiver-settings/{id}': { enabled: false },
  'POST /api/v1/receiver-settings/{id}/dry-run': { objectType: 'Lead', fields: { Status: 'Won' } },
  'PATCH /api/v1/sales-entries/{id}': { fields: { Status: 'stolen' } },
  'POST /api/v1/sales-entries/{id}/review': { decision: 'reject' },
  'PATCH /api/v1/reward-rules/{id}': { name: 'stolen' },
  'POST /api/v1/reward-rules/{id}/coupons': { codes: ['STOLEN'] },
  'PUT /api/v1/programs/{id}/reward-settings': { sameDomainGuard: false },
  'POST /api/v1/rewards/{id}/approve': {},
  'POST /api/v1/rewards/{id}/cancel': { reason: 'stolen' },
  'PATCH /api/v1/webhook-endpoints/{id}': { description: 'stolen' },
  'POST /api/v1/webhook-endpoints/{id}/replay-failed': { since: '2020-01-01T00:00:00Z' },
  'PUT /api/v1/programs/{programId}/email-settings': {
    fromName: null,
    fromAddress: null,
    notifyReferrer: false,
    notifyReferred: false,
  },
  'PUT /api/v1/programs/{programId}/email-templates/{template}': {
    subject: 's',
    text: 't',
    html: '<p>h</p>',
  },
  'POST /api/v1/programs/{programId}/email-templates/{template}/preview': {},
  'PATCH /api/v1/users/{id}': { role: 'viewer' },
  'PATCH /api/v1/programs/{id}/capture-settings': { landingUrl: 'https://stolen.example/' },
  'POST /api/v1/programs/{id}/publishable-keys': { name: 'Stolen' },
};

describe("another workspace's records, on every route", { timeout: 180_000 }, () => {
  it('answer 404 on every route whose path names one, and change nothing', async () => {
    // Public routes (`security: []`) are reached by a key in their path that is itself the
    // credential (a program's publishable key), not by a workspace's caller: capture tests
    // cover them.
    const named = (await apiRoutes(testApp)).filter(
      (route) => route.path.includes('{') && !isPublic(route.operation),
    );
    expect(named.length).toBeGreaterThanOrEqual(40);
    const before = await owner.get(`/api/v1/referrals/${ids.referrals}`);
    // Deleting routes last: if one failed, the others still had their record.
    named.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const { method, path, operation } of named) {
      const key = `${method} ${path}`;
      const body = bodies[key] ?? (operation.requestBody ? undefined : null);
      expect(body, `${key} takes a body: add one the route accepts to \`bodies\``).not.toBeUndefined();
      const query = path.endsWith('/fields') && method === 'GET' ? '?object=Lead' : '';
      const answer = await stranger.request<{ error?: { code: string } }>(
        method,
        `${concretePath(path, ids)}${query}`,
        {
          ...(body === null ? {} : { body }),
        },
      );
      expect(answer.status, `${key}: ${JSON.stringify(answer.body)}`).toBe(404);
      expect(answer.body.error?.code, key).toBe('not_found');
    }
    const after = await owner.get(`/api/v1/referrals/${ids.referrals}`);
    expect(after.body).toEqual(before.body);
    expect((await owner.get(`/api/v1/connections/${ids.connections}`)).status).toBe(200);
    expect((await owner.get(`/api/v1/webhook-endpoints/${ids['webhook-endpoints']}`)).status).toBe(200);
  });

  it('find nothing through ID filters of list routes', async () => {
    const kinds: Record<string, string> = {
      programId: 'programs',
      memberId: 'members',
      referralId: 'referrals',
      connectionId: 'connections',
      settingsId: 'push-settings',
      subjectId: 'referrals',
      ruleId: 'reward-rules',
    };
    let tried = 0;
    for (const { method, path, operation } of await apiRoutes(testApp)) {
      if (method !== 'GET' || path.includes('{')) continue;
      for (const parameter of operation.parameters ?? []) {
        // externalId is the caller's own ID for a record, not a refsync one.
        if (parameter.in !== 'query' || !parameter.name.endsWith('Id') || parameter.name === 'externalId')
          continue;
        const kind = kinds[parameter.name];
        expect(
          kind,
          `${path}?${parameter.name}: which records does it name? add it to \`kinds\``,
        ).toBeDefined();
        const answer = await stranger.get<{ data?: unknown[] } | string>(
          `${path}?${parameter.name}=${ids[kind ?? ''] ?? ''}`,
        );
        tried += 1;
        expect([200, 404], `${path}?${parameter.name}`).toContain(answer.status);
        if (answer.status !== 200) continue;
        if (typeof answer.body === 'string') {
          // CSV export: the header line only.
          expect(answer.body.trim().split('\n'), `${path}?${parameter.name}`).toHaveLength(1);
        } else {
          expect(answer.body.data, `${path}?${parameter.name}`).toEqual([]);
        }
      }
    }
    expect(tried).toBeGreaterThanOrEqual(10);
  });
});
