import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, serverUrl } from './helpers/database.ts';

const bin = join(import.meta.dirname, '..', 'bin', 'refsync.js');
const dataDir = mkdtempSync(join(tmpdir(), 'refsync-cli-'));
const running: ChildProcess[] = [];

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      REFSYNC_DATA_DIR: dataDir,
      PORT: '0',
      REFSYNC_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(started: Started, pattern: RegExp, timeoutMs = 100_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = started.output().match(pattern);
    if (match) return match;
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${pattern} in output:\n${started.output()}`);
}

describe('the refsync command', { timeout: 120_000 }, () => {
  it('prints help for itself and each command', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toMatch(/start\s+API and worker/);
    expect(help.output()).toContain('DATABASE_URL');
    for (const command of ['start', 'worker', 'migrate']) {
      const commandHelp = run([command, '--help']);
      expect(await commandHelp.exited).toBe(0);
      expect(commandHelp.output()).toContain(`refsync ${command}`);
    }
    const unknown = run(['frobnicate']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toContain('unknown command frobnicate');
  });

  it('starts on PGlite, prints a first API key once, refuses a second process, stops on SIGTERM', async () => {
    const first = run(['start']);
    const [, url] = await waitFor(first, /refsync is running on (http:\/\/\S+) \(PGlite/);
    const [, key] = await waitFor(first, /API key \(shown once, keep it\): (rsk_\S+)/);
    expect(existsSync(join(dataDir, 'pgdata'))).toBe(true);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    // Embedded mode mounts the sandbox CRMs.
    expect((await fetch(`${url}/sandbox/salesforce/services/data/`)).status).toBe(200);
    const portal = await fetch(`${url}/sandbox/hubspot/_admin/portals`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(portal.status).toBe(201);
    const workspace = await fetch(`${url}/api/v1/workspace`, { headers: { authorization: `Bearer ${key}` } });
    expect(workspace.status).toBe(200);

    const second = run(['start']);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('is in use by another refsync process');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(dataDir, 'refsync.lock'))).toBe(false);

    const again = run(['start']);
    const [, urlAgain] = await waitFor(again, /refsync is running on (http:\/\/\S+)/);
    expect(again.output()).not.toContain('API key');
    // Sandbox state is kept in the data folder across restarts.
    const portals = (await (await fetch(`${urlAgain}/sandbox/hubspot/_admin/portals`)).json()) as {
      results: unknown[];
    };
    expect(portals.results).toHaveLength(1);
    const stillValid = await fetch(`${urlAgain}/api/v1/workspace`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(stillValid.status).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('uses REFSYNC_BOOTSTRAP_API_KEY for the first workspace without printing it', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'refsync-cli-boot-'));
    const bootstrapKey = 'rsk_automation_key_0123456789abcdef';
    try {
      const started = run(['start'], { REFSYNC_DATA_DIR: ownDir, REFSYNC_BOOTSTRAP_API_KEY: bootstrapKey });
      const [, url] = await waitFor(started, /refsync is running on (http:\/\/\S+)/);
      await waitFor(started, /Its API key is REFSYNC_BOOTSTRAP_API_KEY/);
      expect(started.output()).not.toContain(bootstrapKey);
      const response = await fetch(`${url}/api/v1/workspace`, {
        headers: { authorization: `Bearer ${bootstrapKey}` },
      });
      expect(response.status).toBe(200);
      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);
    } finally {
      rmSync(ownDir, { recursive: true, force: true });
    }
  });

  it('serves the sandbox CRMs alone with `refsync sandbox`', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'refsync-cli-sandbox-'));
    try {
      const started = run(['sandbox', '--port', '0'], { REFSYNC_DATA_DIR: ownDir });
      const [, salesforceUrl] = await waitFor(started, /Salesforce: (http:\/\/\S+)/);
      const [, hubspotUrl] = await waitFor(started, /HubSpot: +(http:\/\/\S+)/);
      const org = await fetch(`${salesforceUrl}/_admin/orgs`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(org.status).toBe(201);
      expect((await fetch(`${hubspotUrl}/crm/v3/objects/contacts`)).status).toBe(401);
      expect(existsSync(join(ownDir, 'pgdata'))).toBe(false);
      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);
      expect(existsSync(join(ownDir, 'sandbox', 'salesforce.json'))).toBe(true);
    } finally {
      rmSync(ownDir, { recursive: true, force: true });
    }
  });

  it('mounts the sandboxes on a non-loopback HOST only when asked, and then warns', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'refsync-cli-exposed-'));
    try {
      const quiet = run(['start'], { REFSYNC_DATA_DIR: ownDir, HOST: '0.0.0.0' });
      const [, url = ''] = await waitFor(quiet, /refsync is running on (http:\/\/\S+)/);
      const local = url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${local}/readyz`)).status).toBe(200);
      expect((await fetch(`${local}/sandbox/salesforce/_admin/orgs`)).status).toBe(404);
      expect((await fetch(`${local}/sandbox/hubspot/_admin/portals`)).status).toBe(404);
      quiet.child.kill('SIGTERM');
      expect(await quiet.exited).toBe(0);

      const asked = run(['start'], { REFSYNC_DATA_DIR: ownDir, HOST: '0.0.0.0', REFSYNC_SANDBOX: '1' });
      const [, urlAsked = ''] = await waitFor(asked, /refsync is running on (http:\/\/\S+)/);
      expect(asked.output()).toContain('REFSYNC_SANDBOX=1 while HOST 0.0.0.0 is not a loopback address');
      expect(asked.output()).toContain('NO authentication');
      expect(
        (await fetch(`${urlAsked.replace('0.0.0.0', '127.0.0.1')}/sandbox/hubspot/_admin/portals`)).status,
      ).toBe(200);
      asked.child.kill('SIGTERM');
      expect(await asked.exited).toBe(0);
    } finally {
      rmSync(ownDir, { recursive: true, force: true });
    }
  });

  it('serves `refsync sandbox` on loopback even when HOST is set wider', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'refsync-cli-sandbox-host-'));
    try {
      const started = run(['sandbox', '--port', '0'], { REFSYNC_DATA_DIR: ownDir, HOST: '0.0.0.0' });
      const [, salesforceUrl] = await waitFor(started, /Salesforce: (http:\/\/\S+)/);
      expect(salesforceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      started.child.kill('SIGTERM');
      expect(await started.exited).toBe(0);
    } finally {
      rmSync(ownDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on PostgreSQL without REFSYNC_SECRET_KEY, and writes no key', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'refsync-cli-nokey-'));
    try {
      const started = run(['start'], {
        REFSYNC_DATA_DIR: ownDir,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/refsync_not_used',
      });
      expect(await started.exited).toBe(1);
      expect(started.output()).toContain('REFSYNC_SECRET_KEY is required with DATABASE_URL');
      expect(started.output()).toContain('randomBytes(32)');
      expect(existsSync(join(ownDir, 'secret.key'))).toBe(false);
    } finally {
      rmSync(ownDir, { recursive: true, force: true });
    }
  });

  it('names a bad environment variable and exits 1', async () => {
    const started = run(['start'], { PORT: 'eighty' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain('PORT');
  });

  it.skipIf(!serverUrl)('runs migrate and worker on PostgreSQL without opening PGlite', async () => {
    const ownDir = mkdtempSync(join(tmpdir(), 'refsync-cli-pg-'));
    const testDatabase = await createTestDatabase();
    await testDatabase.database.close();
    try {
      const env = {
        DATABASE_URL: testDatabase.databaseUrl ?? '',
        REFSYNC_DATA_DIR: ownDir,
        REFSYNC_SECRET_KEY: 'cli-test-secret-0123456789',
      };
      const migrate = run(['migrate'], env);
      expect(await migrate.exited).toBe(0);
      expect(migrate.output()).toContain('Migrations applied (PostgreSQL)');
      const worker = run(['worker'], { ...env, REFSYNC_LOG_LEVEL: 'info' });
      await waitFor(worker, /worker started/);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(existsSync(join(ownDir, 'pgdata'))).toBe(false);
    } finally {
      await testDatabase.drop();
      rmSync(ownDir, { recursive: true, force: true });
    }
  });
});
