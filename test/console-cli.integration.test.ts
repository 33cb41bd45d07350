import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { type RefsyncProcess, spawnRefsync } from './helpers/process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'refsync-user-create-'));
const running: RefsyncProcess[] = [];
let database: TestDatabase | undefined;

afterAll(async () => {
  for (const started of running) started.child.kill('SIGKILL');
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('refsync user-create', { timeout: 600_000 }, () => {
  it('prints a one-time link that creates the user with the role asked for', async () => {
    database = await createTestDatabase();
    const databaseUrl = database.databaseUrl;
    await database.database.close();
    const env = {
      REFSYNC_DATA_DIR: dataDir,
      REFSYNC_LOG_LEVEL: 'warn',
      REFSYNC_SECRET_KEY: 'user-create-secret-0123456789',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    };
    const refused = spawnRefsync(['user-create', '--email', 'not-an-email'], env);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toContain('--email takes an email address');

    const created = spawnRefsync(['user-create', '--email', 'Ops@Example.com', '--role', 'viewer'], {
      ...env,
      REFSYNC_PUBLIC_URL: 'https://refsync.example.com',
    });
    running.push(created);
    expect(await created.exited).toBe(0);
    expect(created.output()).toMatch(/API key \(shown once, keep it\): rsk_/);
    const [, token] =
      created
        .output()
        .match(
          /sets a password here \(one-time link, 24 h\):\n(?:https:\/\/refsync\.example\.com)\/welcome#token=([A-Za-z0-9]{40})/,
        ) ?? [];
    expect(token).toBeDefined();

    const started = spawnRefsync(['start'], env);
    running.push(started);
    const [, url] = await started.waitFor(/refsync is running on (http:\/\/\S+)/, 400_000);
    const accepted = await fetch(`${url}/api/v1/auth/welcome`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: 'ops password 123' }),
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ user: { email: 'ops@example.com', role: 'viewer' } });
    const signIn = await fetch(`${url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@example.com', password: 'ops password 123' }),
    });
    expect(signIn.status).toBe(200);
    started.child.kill('SIGTERM');
    await started.exited;
  });
});
