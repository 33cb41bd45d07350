import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, prepare, type RefsyncApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/core/logger.ts';
import { queryRows } from '../src/db/client.ts';
import { notificationSubscriber } from '../src/notifications/subscriber.ts';
import { webhookSubscriber } from '../src/webhooks/subscriber.ts';
import { createApiKey, createWorkspace } from '../src/workspaces/service.ts';
import { ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { SmtpSink } from './helpers/smtp-sink.ts';
import { WebhookReceiver } from './helpers/webhook-receiver.ts';

/** Outbound webhooks against a real receiver on loopback, across a refsync restart. */

const dataDir = mkdtempSync(join(tmpdir(), 'refsync-webhooks-'));
let testDatabase: TestDatabase;
let refsync: RefsyncApp | undefined;
const receiver = new WebhookReceiver();

/** A refsync on this file's database (a PGlite folder, or PostgreSQL), as `refsync start` runs it. */
async function startRefsync(): Promise<{ app: RefsyncApp; url: string }> {
  const config = loadConfig({
    PORT: '0',
    REFSYNC_DATA_DIR: dataDir,
    REFSYNC_SECRET_KEY: 'webhook-test-secret-0123456789',
    REFSYNC_LOG_LEVEL: 'silent',
    REFSYNC_SHUTDOWN_TIMEOUT_MS: '2000',
    REFSYNC_WEBHOOKS_ALLOW_PRIVATE: '1',
    // 5 s becomes 5 ms, 5 min 0.3 s, 30 min 1.8 s, 2 h 7.2 s.
    REFSYNC_WEBHOOK_RETRY_SCALE: '0.001',
    ...(testDatabase.databaseUrl ? { DATABASE_URL: testDatabase.databaseUrl } : {}),
  });
  const app = await buildApp({ config, logger: createLogger('silent'), subscribers: [webhookSubscriber] });
  await prepare(app, { work: true });
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return { app, url: `http://127.0.0.1:${address.port}` };
}

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  // Each refsync below opens the database itself, as a restarted process does.
  await testDatabase.database.close();
  await receiver.start();
});
afterAll(async () => {
  await refsync?.close();
  await receiver.close();
  await testDatabase.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Message {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
}

describe('outbound webhooks', { timeout: 90_000 }, () => {
  let api: ApiClient;
  let endpointId: string;

  it('signs every event, retries while the receiver fails, and loses none across a restart', async () => {
    let started = await startRefsync();
    refsync = started.app;
    const workspace = await createWorkspace(refsync.ctx.db, 'Webhooks');
    api = new ApiClient(started.url, (await createApiKey(refsync.ctx.db, workspace.id, 'test')).key);

    const created = await api.post<{ id: string; secret: string }>('/api/v1/webhook-endpoints', {
      url: receiver.url,
      description: 'CRM bridge',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    endpointId = created.body.id;
    receiver.secrets = [created.body.secret];
    const shown = await api.get(`/api/v1/webhook-endpoints/${endpointId}`);
    expect(JSON.stringify(shown.body)).not.toContain('whsec_');

    receiver.down = true;
    const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'Partners' })).body.id;
    const member = await api.post<{ id: string; referralCode: string }>('/api/v1/members', {
      programId,
      firstName: 'Ada',
      email: 'ada@partner.example',
    });
    const referral = await api.post<{ id: string }>('/api/v1/referrals', {
      programId,
      referralCode: member.body.referralCode,
      firstName: 'Bob',
      email: 'bob@prospect.example',
    });
    const moved = await api.post(`/api/v1/referrals/${referral.body.id}/milestone`, {
      milestone: 'qualified',
      feedback: 'Demo booked for Tuesday',
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);

    // Every message fails at least twice (immediately, then 5 s scaled) while the receiver is down.
    const failing = await eventually(async () => {
      const page = await api.get<{ data: Message[] }>(`/api/v1/webhook-endpoints/${endpointId}/messages`);
      const messages = page.body.data;
      return messages.length === 3 && messages.every((m) => m.attempts >= 2 && m.status === 'pending')
        ? messages
        : undefined;
    }, 20_000);
    expect(failing.map((m) => m.eventType).sort()).toEqual([
      'member.created',
      'referral.created',
      'referral.milestone_changed',
    ]);
    const detail = await api.get<{ attemptLog: Array<Record<string, unknown>> }>(
      `/api/v1/webhook-endpoints/${endpointId}/messages/${failing[0]?.id}`,
    );
    expect(detail.body.attemptLog[0]).toMatchObject({
      statusCode: 503,
      success: false,
      responseExcerpt: 'down for maintenance',
    });

    await refsync.close();
    refsync = undefined;
    receiver.down = false;
    started = await startRefsync();
    refsync = started.app;
    api = new ApiClient(started.url, api.key);

    const delivered = await eventually(
      async () => (receiver.accepted.length >= 3 ? receiver.accepted : undefined),
      30_000,
    );
    expect(new Set(delivered.map((w) => w.id))).toEqual(new Set(failing.map((m) => m.id)));
    const milestone = delivered.find((w) => w.body.type === 'referral.milestone_changed');
    expect(milestone?.body).toMatchObject({
      type: 'referral.milestone_changed',
      data: { referralId: referral.body.id, to: 'qualified', feedback: 'Demo booked for Tuesday' },
    });
    // The receiver has the last delivery a moment before refsync records its answer.
    const after = await eventually(async () => {
      const page = await api.get<{ data: Message[] }>(`/api/v1/webhook-endpoints/${endpointId}/messages`);
      return page.body.data.every((m) => m.status === 'delivered') ? page.body.data : undefined;
    });
    expect(after.map((m) => m.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('signs with the old and the new secret for a day after a rotation', async () => {
    const rotated = await api.post<{ secret: string }>(
      `/api/v1/webhook-endpoints/${endpointId}/rotate-secret`,
    );
    expect(rotated.status).toBe(200);
    receiver.secrets = [...receiver.secrets, rotated.body.secret];
    const before = receiver.accepted.length;
    await api.post('/api/v1/programs', { name: 'Another' });
    const programId = (await api.get<{ data: Array<{ id: string }> }>('/api/v1/programs')).body.data[0]?.id;
    await api.post('/api/v1/members', { programId, email: 'grace@partner.example' });
    const next = await eventually(async () => receiver.accepted[before]);
    expect(next.verifiedWith).toEqual([0, 1]);
  });

  it('replays one message with the same webhook-id, and all failed since a time', async () => {
    const first = receiver.accepted[0];
    if (!first) throw new Error('nothing delivered');
    const before = receiver.accepted.length;
    const replay = await api.post(`/api/v1/webhook-endpoints/${endpointId}/messages/${first.id}/replay`);
    expect(replay.status).toBe(202);
    const again = await eventually(async () => receiver.accepted[before]);
    expect(again.id).toBe(first.id);
    const none = await api.post(`/api/v1/webhook-endpoints/${endpointId}/replay-failed`, {
      since: '2020-01-01T00:00:00Z',
    });
    expect(none.body).toEqual({ replayed: 0 });
  });

  it("answers 404 for another workspace's endpoint", async () => {
    if (!refsync) throw new Error('not running');
    const other = await createWorkspace(refsync.ctx.db, 'Other');
    const stranger = api.withKey((await createApiKey(refsync.ctx.db, other.id, 'x')).key);
    expect((await stranger.get(`/api/v1/webhook-endpoints/${endpointId}`)).status).toBe(404);
    expect((await stranger.post(`/api/v1/webhook-endpoints/${endpointId}/rotate-secret`)).status).toBe(404);
  });

  it('documents every event body in the OpenAPI webhooks section', async () => {
    const document = await api.get<{ openapi: string; webhooks: Record<string, unknown> }>(
      '/api/v1/openapi.json',
    );
    expect(document.body.openapi).toBe('3.1.0');
    expect(JSON.stringify(document.body.webhooks['referral.milestone_changed'])).toContain('feedback');
    expect(Object.keys(document.body.webhooks)).toContain('sales_entry.review_needed');
  });
});

describe('a private destination', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp({ subscribers: [webhookSubscriber] });
  });
  afterAll(() => testApp.close());

  it('is refused without REFSYNC_WEBHOOKS_ALLOW_PRIVATE, by address and by name', async () => {
    const { api } = await testApp.newWorkspace();
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://[::1]/x',
      'http://169.254.169.254/latest',
      'http://localhost:8080/',
    ]) {
      const answer = await api.post<{ error: { code: string; message: string } }>(
        '/api/v1/webhook-endpoints',
        {
          url,
        },
      );
      expect(answer.status, url).toBe(400);
      expect(answer.body.error.message).toMatch(
        /^url: is not allowed: .*a private, loopback or link-local address/,
      );
    }
    expect((await api.get<{ data: unknown[] }>('/api/v1/webhook-endpoints')).body.data).toEqual([]);
  });

  it('is refused at send time too, after resolving the name', async () => {
    const { api } = await testApp.newWorkspace();
    const local = new WebhookReceiver();
    await local.start();
    try {
      // Saved while the operator allowed private destinations, sent after they stopped.
      testApp.app.ctx.config.webhooksAllowPrivate = true;
      const created = await api.post<{ id: string }>('/api/v1/webhook-endpoints', {
        url: local.url.replace('127.0.0.1', 'localhost'),
      });
      testApp.app.ctx.config.webhooksAllowPrivate = false;
      expect(created.status).toBe(201);
      await api.post('/api/v1/programs', { name: 'P' });
      const programId = (await api.get<{ data: Array<{ id: string }> }>('/api/v1/programs')).body.data[0]?.id;
      await api.post('/api/v1/members', { programId, email: 'x@example.com' });
      const attempt = await eventually(async () => {
        const page = await api.get<{ data: Array<{ id: string }> }>(
          `/api/v1/webhook-endpoints/${created.body.id}/messages`,
        );
        const id = page.body.data[0]?.id;
        if (!id) return undefined;
        const detail = await api.get<{
          attemptLog: Array<{ error: string | null; statusCode: number | null }>;
        }>(`/api/v1/webhook-endpoints/${created.body.id}/messages/${id}`);
        return detail.body.attemptLog[0];
      });
      expect(attempt.statusCode).toBeNull();
      expect(attempt.error).toMatch(
        /^refused: localhost resolves to .*a private, loopback or link-local address/,
      );
      expect(local.accepted.length + local.refusedWhileDown).toBe(0);
    } finally {
      testApp.app.ctx.config.webhooksAllowPrivate = false;
      await local.close();
    }
  });
});

describe('an endpoint failing for 5 days', () => {
  let testApp: TestApp;
  const smtp = new SmtpSink();
  const down = new WebhookReceiver();
  beforeAll(async () => {
    await smtp.start();
    await down.start();
    down.down = true;
    testApp = await startTestApp({
      subscribers: [webhookSubscriber, notificationSubscriber],
      env: {
        REFSYNC_WEBHOOKS_ALLOW_PRIVATE: '1',
        // 5 days become 4.3 s; the whole retry schedule well under a second of waiting.
        REFSYNC_WEBHOOK_RETRY_SCALE: '0.00001',
        REFSYNC_SMTP_URL: smtp.url,
      },
    });
  });
  afterAll(async () => {
    await testApp.close();
    await down.close();
    await smtp.close();
  });

  it('is disabled, and the workspace is told by an event and an admin email', async () => {
    const { api } = await testApp.newWorkspace();
    await api.request('PUT', '/api/v1/notification-settings', {
      body: { adminEmails: ['ops@company.example'], alerts: ['webhook_disabled'] },
    });
    const endpoint = await api.post<{ id: string }>('/api/v1/webhook-endpoints', { url: down.url });
    const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'P' })).body.id;
    await api.post('/api/v1/members', { programId, email: 'first@example.com' });
    const exhausted = await eventually(async () => {
      const page = await api.get<{ data: Message[] }>(
        `/api/v1/webhook-endpoints/${endpoint.body.id}/messages`,
      );
      return page.body.data[0]?.status === 'failed' ? page.body.data[0] : undefined;
    }, 20_000);
    expect(exhausted.attempts).toBe(8);
    await new Promise((resolve) => setTimeout(resolve, 4500));
    await api.post('/api/v1/members', { programId, email: 'second@example.com' });

    const shown = await eventually(async () => {
      const answer = await api.get<{ enabled: boolean; disabledReason: string | null }>(
        `/api/v1/webhook-endpoints/${endpoint.body.id}`,
      );
      return answer.body.enabled ? undefined : answer.body;
    }, 20_000);
    expect(shown.disabledReason).toMatch(/^every delivery failed since /);
    const mail = await eventually(async () => smtp.to('ops@company.example')[0], 20_000);
    expect(mail.subject).toBe('A webhook endpoint was disabled');
    expect(mail.text).toContain(down.url);
    const told = await queryRows<{ subject_id: string }>(
      testApp.app.ctx.db,
      sql`select subject_id from events where type = 'webhook_endpoint.disabled'`,
    );
    expect(told).toEqual([{ subject_id: endpoint.body.id }]);
  });
});
