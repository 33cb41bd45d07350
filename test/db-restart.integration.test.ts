import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, eventually } from './helpers/app.ts';
import {
  type ScratchCluster,
  scratchClusterUnavailable,
  startScratchCluster,
} from './helpers/postgres-cluster.ts';
import { type RefsyncProcess, spawnRefsync } from './helpers/process.ts';

const unavailable = scratchClusterUnavailable();
if (unavailable) console.warn(`skipping the database restart test: ${unavailable}`);

const key = 'rsk_restart_test_key_0123456789abcdef';
let cluster: ScratchCluster | undefined;
let refsync: RefsyncProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'refsync-restart-'));

afterAll(() => {
  refsync?.child.kill('SIGKILL');
  cluster?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

interface ErrorBody {
  error: { code: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(unavailable !== undefined)('a PostgreSQL restart under load', { timeout: 150_000 }, () => {
  it('is ridden out: 503 while the database is down, then writes and jobs work again', async () => {
    cluster = await startScratchCluster();
    const started = spawnRefsync(['start'], {
      DATABASE_URL: cluster.url,
      REFSYNC_DATA_DIR: dataDir,
      REFSYNC_SECRET_KEY: 'restart-test-secret-0123456789',
      REFSYNC_BOOTSTRAP_API_KEY: key,
      REFSYNC_LOG_LEVEL: 'warn',
      // The webhook endpoint below is on loopback; nothing listens there, nor need it.
      REFSYNC_WEBHOOKS_ALLOW_PRIVATE: '1',
    });
    refsync = started;
    const [, url] = await started.waitFor(/refsync is running on (http:\/\/\S+)/);
    const api = new ApiClient(url ?? '', key);
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Restart' });
    expect(program.status).toBe(201);
    // Events make a job only for a queue that wants them (`enqueueWhen`): an endpoint for new
    // referrals gives every referral a webhooks job, which the end of the test waits on.
    const endpoint = await api.post('/api/v1/webhook-endpoints', {
      url: 'http://127.0.0.1:9/hook',
      eventTypes: ['referral.created'],
    });
    expect(endpoint.status).toBe(201);

    // Several writers keep transactions open on pooled connections while the server goes away.
    const statuses: Array<{ status: number; code: string | undefined }> = [];
    let loading = true;
    let n = 0;
    const writer = async () => {
      while (loading) {
        const response = await api
          .post<ErrorBody>('/api/v1/referrals', {
            programId: program.body.id,
            email: `load-${n++}@example.com`,
          })
          .catch(() => ({ status: 0, body: { error: { code: 'no answer' } } }));
        statuses.push({ status: response.status, code: response.body.error?.code });
        if (response.status !== 201) await sleep(50);
      }
    };
    const writers = Array.from({ length: 6 }, writer);
    await eventually(async () => (statuses.filter((s) => s.status === 201).length >= 20 ? true : undefined));

    for (let restart = 0; restart < 2; restart++) {
      cluster.stop();
      const during = statuses.length;
      await eventually(async () => (statuses.length > during + 5 ? true : undefined));
      cluster.start();
      await sleep(1000);
    }
    loading = false;
    await Promise.all(writers);

    expect(started.alive(), started.output()).toBe(true);
    const failures = statuses.filter((s) => s.status !== 201);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.filter((s) => s.status !== 503 || s.code !== 'database_unavailable')).toEqual([]);

    const after = await eventually(async () => {
      const created = await api.post<{ id: string }>('/api/v1/referrals', {
        programId: program.body.id,
        email: 'after-restart@example.com',
      });
      return created.status === 201 ? created.body : undefined;
    }, 20_000);
    await eventually(async () => {
      const jobs = await api.get<{ data: Array<{ state: string }> }>(`/api/v1/jobs?subjectId=${after.id}`);
      const states = jobs.body.data.map((job) => job.state);
      return states.length > 0 && states.every((state) => state === 'completed') ? true : undefined;
      // Workers find the database again on their next poll; a job fetched just before the
      // restart comes back after its heartbeat lapses, so allow the minute recovery promises.
    }, 60_000);
    expect(started.alive(), started.output()).toBe(true);
  });
});
