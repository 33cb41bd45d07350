import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, prepare, type RefsyncApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { connections } from '../src/connections/tables.ts';
import { newId } from '../src/core/ids.ts';
import { createLogger } from '../src/core/logger.ts';
import { pushSettings } from '../src/push/tables.ts';
import { JOB_HEARTBEAT_SECONDS } from '../src/queue/job-queue.ts';
import { subscribers } from '../src/subscribers.ts';
import { createApiKey, createWorkspace } from '../src/workspaces/service.ts';
import { ApiClient, eventually } from './helpers/app.ts';
import {
  type ScratchCluster,
  scratchClusterUnavailable,
  startScratchCluster,
} from './helpers/postgres-cluster.ts';
import { type RefsyncProcess, spawnRefsync } from './helpers/process.ts';

const unavailable = scratchClusterUnavailable();
if (unavailable) console.warn(`skipping the crashed worker test: ${unavailable}`);

const secret = 'recovery-test-secret-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'refsync-recovery-'));
let cluster: ScratchCluster | undefined;
let app: RefsyncApp | undefined;
let lock: pg.Client | undefined;
const workers: RefsyncProcess[] = [];

afterAll(async () => {
  for (const worker of workers) worker.child.kill('SIGKILL');
  await lock?.end().catch(() => {});
  await app?.close();
  cluster?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

interface JobView {
  queue: string;
  state: string;
  retryCount: number;
}

describe.skipIf(unavailable !== undefined)(
  'a worker killed in the middle of a job',
  { timeout: 180_000 },
  () => {
    it('has its job run again by another worker within a minute', async () => {
      cluster = await startScratchCluster();
      const env = { DATABASE_URL: cluster.url, REFSYNC_DATA_DIR: dataDir, REFSYNC_SECRET_KEY: secret };
      // The API alone, in this process; jobs are left to `refsync worker` processes.
      const config = loadConfig({ ...env, PORT: '0', REFSYNC_LOG_LEVEL: 'silent' });
      app = await buildApp({ config, logger: createLogger('silent'), subscribers });
      await prepare(app, { work: false });
      await app.server.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.server.address();
      const url = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : '';
      const workspace = await createWorkspace(app.ctx.db, 'Recovery');
      const api = new ApiClient(url, (await createApiKey(app.ctx.db, workspace.id, 'test')).key);
      const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'P' })).body.id;
      // A push job is only enqueued for a program that pushes referrals somewhere: an enabled
      // setting on a connection that waits for reconnecting, so the job completes (logging the
      // wait) without a CRM.
      const connectionId = newId('connection');
      await app.ctx.db.insert(connections).values({
        id: connectionId,
        workspaceId: workspace.id,
        provider: 'salesforce',
        name: 'Salesforce',
        status: 'needs_reauth',
        baseUrl: 'https://login.salesforce.com',
        authorizeBaseUrl: 'https://login.salesforce.com',
        clientId: 'client',
        clientSecretSealed: app.ctx.secrets.seal('secret'),
        lastError: 'Reconnect needed.',
      });
      await app.ctx.db.insert(pushSettings).values({
        id: newId('pushSettings'),
        workspaceId: workspace.id,
        programId,
        connectionId,
        subject: 'referral',
        enabled: true,
        crmObject: 'Lead',
        mappings: [],
        systemFields: {},
        existingPolicy: 'do_nothing',
      });

      // A database from before per-queue expiry: pg-boss's default 15 minutes, no heartbeat.
      await app.ctx.database.db.execute(
        "update pgboss.queue set expire_seconds = 900, heartbeat_seconds = null where name in ('push', 'sales-entries')",
      );

      // Holds the push job in the middle of its work: it waits for this table. Not
      // push_settings, which the referral's own transaction reads to decide on the job.
      lock = new pg.Client({ connectionString: cluster.url });
      await lock.connect();
      await lock.query('begin');
      await lock.query('lock table push_records in access exclusive mode');

      const first = spawnRefsync(['worker'], { ...env, REFSYNC_LOG_LEVEL: 'info' });
      workers.push(first);
      await first.waitFor(/worker started/);
      const queues = await app.ctx.queue.boss.getQueues(['push', 'sales-entries']);
      expect(
        Object.fromEntries(queues.map((q) => [q.name, [q.expireInSeconds, q.heartbeatSeconds]])),
      ).toEqual({ push: [120, JOB_HEARTBEAT_SECONDS], 'sales-entries': [60, JOB_HEARTBEAT_SECONDS] });

      const referral = await api.post<{ id: string }>('/api/v1/referrals', {
        programId,
        email: 'a@example.com',
      });
      expect(referral.status).toBe(201);
      const pushJob = async () => {
        const jobs = await api.get<{ data: JobView[] }>(
          `/api/v1/jobs?subjectId=${referral.body.id}&queue=push`,
        );
        return jobs.body.data[0];
      };
      await eventually(async () => ((await pushJob())?.state === 'active' ? true : undefined), 20_000);

      const second = spawnRefsync(['worker'], { ...env, REFSYNC_LOG_LEVEL: 'info' });
      workers.push(second);
      await second.waitFor(/worker started/);
      first.child.kill('SIGKILL');
      await first.exited;
      const killedAt = Date.now();
      await lock.query('rollback');

      const done = await eventually(async () => {
        const job = await pushJob();
        return job?.state === 'completed' ? job : undefined;
      }, 60_000);
      expect(Date.now() - killedAt).toBeLessThan(60_000);
      // Run again, not finished by the killed worker.
      expect(done.retryCount).toBeGreaterThanOrEqual(1);
    });
  },
);
