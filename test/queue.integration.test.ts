import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/client.ts';
import { pushSubscriber } from '../src/push/subscriber.ts';
import type { EventJob } from '../src/queue/events.ts';
import { defineSubscriber } from '../src/queue/subscriber.ts';
import { rewardIssueSubscriber } from '../src/rewards/subscriber.ts';
import { webhookSubscriber } from '../src/webhooks/subscriber.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';

interface Job {
  id: string;
  queue: string;
  state: string;
  eventType: string | null;
  subjectId: string | null;
  retryCount: number;
  retryLimit: number;
  lastError: string | null;
  createdAt: string;
  startAfter: string;
}

const received: EventJob[] = [];
const flakyAttempts = new Map<string, number>();

const recorder = defineSubscriber({
  queue: 'test.recorder',
  on: ['referral.created', 'referral.milestone_changed', 'member.created'],
  handle: async (job) => {
    received.push(job);
  },
});

const flaky = defineSubscriber({
  queue: 'test.flaky',
  on: ['referral.created'],
  retryDelay: 1,
  handle: async (job) => {
    const attempts = (flakyAttempts.get(job.subjectId) ?? 0) + 1;
    flakyAttempts.set(job.subjectId, attempts);
    if (attempts === 1) throw new Error('CRM timed out');
  },
});

const broken = defineSubscriber({
  queue: 'test.broken',
  on: ['member.created'],
  retryLimit: 1,
  retryDelay: 1,
  handle: async () => {
    throw new Error('CRM said no: INVALID_FIELD');
  },
});

let testApp: TestApp;
let api: ApiClient;
let programId: string;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [recorder, flaky, broken, webhookSubscriber, pushSubscriber, rewardIssueSubscriber],
    env: { REFSYNC_WEBHOOKS_ALLOW_PRIVATE: '1' },
  });
  api = (await testApp.newWorkspace()).api;
  programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'Queue' })).body.id;
});
afterAll(() => testApp.close());

const jobsOf = async (subjectId: string) =>
  (await api.get<{ data: Job[] }>(`/api/v1/jobs?subjectId=${subjectId}`)).body.data;

describe('domain events and their jobs', () => {
  it('runs a job for each subscribed queue when a referral is created and its milestone moves', async () => {
    const referral = (
      await api.post<{ id: string }>('/api/v1/referrals', { programId, email: 'q@example.com' })
    ).body;
    await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'qualified' });
    const events = await eventually(async () => {
      const mine = received.filter((job) => job.subjectId === referral.id);
      return mine.length >= 2 ? mine : undefined;
    });
    expect(events.map((e) => e.type).sort()).toEqual(['referral.created', 'referral.milestone_changed']);
    const moved = events.find((e) => e.type === 'referral.milestone_changed');
    expect(moved?.payload).toMatchObject({
      referralId: referral.id,
      programId,
      from: 'submitted',
      to: 'qualified',
    });
    expect(moved?.workspaceId).toMatch(/^ws_/);
    const jobs = await eventually(async () => {
      const list = await jobsOf(referral.id);
      const recorded = list.filter((job) => job.queue === 'test.recorder');
      return recorded.length === 2 && recorded.every((job) => job.state === 'completed') ? list : undefined;
    });
    expect(jobs.map((job) => job.queue).sort()).toEqual(['test.flaky', 'test.recorder', 'test.recorder']);
  });

  it('writes no event and no job when the transaction that emitted them rolls back', async () => {
    const { ctx } = testApp.app;
    const workspaceId = (await api.get<{ id: string }>('/api/v1/workspace')).body.id;
    await expect(
      ctx.db.transaction(async (tx) => {
        await ctx.queue.emit(tx, {
          workspaceId,
          type: 'member.created',
          subjectId: 'mem_rolledback',
          payload: { memberId: 'mem_rolledback', programId },
        });
        throw new Error('the change failed after emitting');
      }),
    ).rejects.toThrow('the change failed');
    const events = await queryRows(ctx.db, sql`select id from events where subject_id = 'mem_rolledback'`);
    const jobs = await queryRows(
      ctx.db,
      sql`select id from pgboss.job where data->>'subjectId' = 'mem_rolledback'`,
    );
    expect(events).toEqual([]);
    expect(jobs).toEqual([]);
    expect(await jobsOf('mem_rolledback')).toEqual([]);
  });

  it('retries a failed job with backoff until it succeeds', async () => {
    const referral = (
      await api.post<{ id: string }>('/api/v1/referrals', { programId, email: 'flaky@example.com' })
    ).body;
    const job = await eventually(async () => {
      const found = (await jobsOf(referral.id)).find((j) => j.queue === 'test.flaky');
      return found?.state === 'completed' ? found : undefined;
    }, 15_000);
    expect(flakyAttempts.get(referral.id)).toBe(2);
    expect(job.retryCount).toBe(1);
    // The retry waited: it was scheduled after the job was created.
    expect(Date.parse(job.startAfter)).toBeGreaterThan(Date.parse(job.createdAt));
  });

  it('keeps a job that ran out of retries as failed, with its error, and can retry it', async () => {
    const member = (
      await api.post<{ id: string }>('/api/v1/members', { programId, email: 'broken@example.com' })
    ).body;
    const failed = await eventually(async () => {
      const list = (await api.get<{ data: Job[] }>(`/api/v1/jobs?state=failed&queue=test.broken`)).body.data;
      return list.find((job) => job.subjectId === member.id);
    }, 20_000);
    expect(failed).toMatchObject({
      queue: 'test.broken',
      state: 'failed',
      eventType: 'member.created',
      retryCount: 1,
      retryLimit: 1,
    });
    expect(failed.lastError).toContain('CRM said no: INVALID_FIELD');

    const metrics = await (await fetch(`${testApp.url}/metrics`)).text();
    expect(metrics).toMatch(/refsync_jobs_total\{queue="test.broken",outcome="failed"\} [1-9]/);
    expect(metrics).toMatch(/refsync_jobs\{queue="test.broken",state="failed"\} [1-9]/);
    expect(metrics).toMatch(/refsync_jobs_total\{queue="test.recorder",outcome="completed"\} [1-9]/);

    const retried = await api.post<Job>(`/api/v1/jobs/${failed.id}/retry`);
    expect(retried.status).toBe(200);
    expect(['retry', 'created', 'active', 'failed']).toContain(retried.body.state);
    const again = await eventually(async () => {
      const job = (await jobsOf(member.id)).find((j) => j.id === failed.id);
      return job && job.retryCount > 1 ? job : undefined;
    }, 20_000);
    expect(again.retryCount).toBeGreaterThan(1);

    const { api: stranger } = await testApp.newWorkspace('stranger');
    expect((await stranger.post(`/api/v1/jobs/${failed.id}/retry`)).status).toBe(404);
  });

  it('enqueues webhook and push jobs only when the workspace has an endpoint or push setting for the event', async () => {
    const before = (
      await api.post<{ id: string }>('/api/v1/referrals', { programId, email: 'g1@example.com' })
    ).body;
    await eventually(async () => {
      const list = await jobsOf(before.id);
      return list.some((job) => job.queue === 'test.recorder' && job.state === 'completed')
        ? list
        : undefined;
    });
    const queuesBefore = (await jobsOf(before.id)).map((job) => job.queue);
    expect(queuesBefore).not.toContain('webhooks');
    expect(queuesBefore).not.toContain('push');

    const endpoint = await api.post('/api/v1/webhook-endpoints', {
      url: 'http://127.0.0.1:9/hook',
      eventTypes: ['referral.created'],
    });
    expect(endpoint.status).toBe(201);
    const after = (
      await api.post<{ id: string }>('/api/v1/referrals', { programId, email: 'g2@example.com' })
    ).body;
    const jobs = await eventually(async () => {
      const list = await jobsOf(after.id);
      return list.some((job) => job.queue === 'webhooks') ? list : undefined;
    });
    expect(jobs.filter((job) => job.queue === 'webhooks')).toHaveLength(1);
    expect(jobs.map((job) => job.queue)).not.toContain('push');

    // An event the endpoint does not take still makes no job.
    const member = (await api.post<{ id: string }>('/api/v1/members', { programId, email: 'gm@example.com' }))
      .body;
    await eventually(async () => {
      const list = await jobsOf(member.id);
      return list.some((job) => job.queue === 'test.recorder') ? list : undefined;
    });
    expect((await jobsOf(member.id)).map((job) => job.queue)).not.toContain('webhooks');
  });

  it('enqueues reward issuing only for milestone moves in a program that has reward rules', async () => {
    const moved = async (program: string, email: string) => {
      const referral = (await api.post<{ id: string }>('/api/v1/referrals', { programId: program, email }))
        .body;
      expect(
        (await api.post(`/api/v1/referrals/${referral.id}/milestone`, { milestone: 'qualified' })).status,
      ).toBe(200);
      await eventually(async () => {
        const list = await jobsOf(referral.id);
        return list.filter((job) => job.queue === 'test.recorder' && job.state === 'completed').length >= 2
          ? list
          : undefined;
      });
      return (await jobsOf(referral.id)).map((job) => job.queue);
    };
    expect(await moved(programId, 'r1@example.com')).not.toContain('rewards.issue');

    const rule = await api.post('/api/v1/reward-rules', {
      programId,
      name: 'Thanks',
      milestone: 'won',
      recipient: 'referrer',
      amount: { type: 'points', points: 10 },
      fulfilment: 'manual',
      approval: 'auto',
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    // Any rule of the program, whatever milestone it is for: a denial may cancel its rewards.
    expect(await moved(programId, 'r2@example.com')).toContain('rewards.issue');
    const other = (await api.post<{ id: string }>('/api/v1/programs', { name: 'No rules' })).body.id;
    expect(await moved(other, 'r3@example.com')).not.toContain('rewards.issue');
  });
});
