import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineSubscriber } from '../src/queue/subscriber.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';

/**
 * An API process without workers (workers run elsewhere, or not yet) still enqueues jobs in
 * the transaction of the change that causes them. On PGlite that transaction holds the one
 * session: the queue must not need a second look at the database to enqueue.
 */

const recorder = defineSubscriber({
  queue: 'test.no-workers',
  on: ['referral.created'],
  handle: async () => {},
});

let testApp: TestApp;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startTestApp({ subscribers: [recorder], work: false });
  api = (await testApp.newWorkspace()).api;
});
afterAll(() => testApp.close());

describe('enqueueing with no workers running', () => {
  it('answers the first change that enqueues a job, and the job waits for a worker', async () => {
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'No workers' });
    expect(program.status).toBe(201);
    const created = await Promise.race([
      api.post<{ id: string }>('/api/v1/referrals', { programId: program.body.id, email: 'a@example.com' }),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
    ]);
    expect(created).not.toBe('hung');
    if (created === 'hung') return;
    expect(created.status).toBe(201);
    const jobs = await api.get<{ data: Array<{ queue: string; state: string }> }>(
      `/api/v1/jobs?subjectId=${created.body.id}`,
    );
    expect(jobs.body.data).toEqual([expect.objectContaining({ queue: 'test.no-workers', state: 'created' })]);
  }, 30_000);
});
