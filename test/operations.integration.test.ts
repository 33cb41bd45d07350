import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/core/logger.ts';
import { defineSubscriber } from '../src/queue/subscriber.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { createTestDatabase } from './helpers/database.ts';

let testApp: TestApp;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startTestApp();
  api = (await testApp.newWorkspace()).api;
});
afterAll(() => testApp.close());

describe('operations endpoints', () => {
  it('answers /healthz and /readyz without a key', async () => {
    const health = await testApp.anonymous.get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await testApp.anonymous.get<{
      status: string;
      migrations: { applied: number; expected: number };
    }>('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.migrations.applied).toBe(ready.body.migrations.expected);
    expect(ready.body.migrations.expected).toBeGreaterThan(0);
  });

  it('reports request latency by route on /metrics', async () => {
    const program = (await api.post<{ id: string }>('/api/v1/programs', { name: 'Metrics' })).body;
    await api.get(`/api/v1/programs/${program.id}`);
    const response = await fetch(`${testApp.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain(
      'refsync_http_request_duration_seconds_count{method="GET",route="/api/v1/programs/:id",status_code="200"} 1',
    );
    expect(text).toMatch(
      /refsync_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/programs",status_code="201"\} \d+/,
    );
    expect(text).toContain('refsync_process_cpu_seconds_total');
  });

  it('publishes an OpenAPI document built from the route schemas, and readable docs', async () => {
    const spec = await testApp.anonymous.get<{
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }
        >
      >;
    }>('/api/v1/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/v1/programs',
      '/api/v1/programs/{id}',
      '/api/v1/members',
      '/api/v1/members/{id}',
      '/api/v1/referrals',
      '/api/v1/referrals/{id}',
      '/api/v1/referrals/{id}/milestone',
    ]) {
      expect(spec.body.paths, path).toHaveProperty([path]);
    }
    const createReferral =
      spec.body.paths['/api/v1/referrals']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(createReferral?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'programId',
        'memberId',
        'referralCode',
        'firstName',
        'lastName',
        'email',
        'company',
        'phone',
        'externalId',
        'customFields',
      ]),
    );
    const milestone =
      spec.body.paths['/api/v1/referrals/{id}/milestone']?.post?.requestBody?.content['application/json']
        ?.schema;
    expect(Object.keys(milestone?.properties ?? {}).sort()).toEqual([
      'feedback',
      'milestone',
      'overrideDenied',
      'reason',
    ]);
    const docs = await fetch(`${testApp.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('<html');
  });

  it('answers unknown routes with the error shape', async () => {
    const response = await api.get<{ error: { code: string } }>('/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });
});

describe('readiness before migrations', () => {
  it('answers 503 until the schema is in place', async () => {
    const testDatabase = await createTestDatabase();
    const config = loadConfig({
      PORT: '0',
      REFSYNC_SECRET_KEY: 'test-secret-key-0123456789',
      REFSYNC_DATA_DIR: '/tmp/refsync-unused',
    });
    const app = await buildApp({ config, database: testDatabase.database, logger: createLogger('silent') });
    try {
      const response = await app.server.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ status: 'not_ready' });
    } finally {
      await app.server.close();
      await testDatabase.database.close();
      await testDatabase.drop();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets a running job finish before closing the database', async () => {
    const log: string[] = [];
    const slow = defineSubscriber({
      queue: 'test.slow',
      on: ['member.created'],
      handle: async () => {
        log.push('job started');
        await new Promise((resolve) => setTimeout(resolve, 1500));
        log.push('job finished');
      },
    });
    const app = await startTestApp({ subscribers: [slow] });
    const { api: client } = await app.newWorkspace();
    const programId = (await client.post<{ id: string }>('/api/v1/programs', { name: 'Slow' })).body.id;
    await client.post('/api/v1/members', { programId, email: 'slow@example.com' });
    await eventually(async () => (log.includes('job started') ? true : undefined));
    await app.close();
    log.push('closed');
    expect(log).toEqual(['job started', 'job finished', 'closed']);
  });
});
