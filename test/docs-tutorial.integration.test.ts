import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * docs/tutorial.md, run as a newcomer would: a real `refsync start` on a fresh embedded
 * database, then every `sh` block of the tutorial in order in one bash, with the two lines the
 * doc asks a person to fill in (where refsync listens, the printed API key) filled in.
 */

const root = join(import.meta.dirname, '..');
const tutorial = readFileSync(join(root, 'docs', 'tutorial.md'), 'utf8');
const missingTools = ['bash', 'curl'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
);
if (missingTools.length > 0) {
  console.warn(`docs tutorial test skipped: ${missingTools.join(' and ')} not installed`);
}

const dataDir = mkdtempSync(join(tmpdir(), 'refsync-tutorial-'));
let refsync: ChildProcess | undefined;
afterAll(() => {
  refsync?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts refsync as `npm start` does and reads what the first start prints. */
async function startRefsync(): Promise<{ url: string; key: string }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'refsync.js'), 'start'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      REFSYNC_DATA_DIR: dataDir,
      PORT: '0',
      REFSYNC_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  refsync = child;
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // A first start migrates a fresh database: slow on a busy machine.
  const deadline = Date.now() + 200_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const url = output.match(/refsync is running on (http:\/\/\S+) \(PGlite/)?.[1];
    const key = output.match(/API key \(shown once, keep it\): (rsk_\S+)/)?.[1];
    if (url && key) return { url, key };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`refsync did not start:\n${output}`);
}

/** The tutorial's `sh` blocks, with the base URL and API key lines set as the doc tells a person to. */
function tutorialScript(url: string, key: string): string {
  const blocks = [...tutorial.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
  expect(blocks.length).toBeGreaterThan(5);
  const script = blocks.join('\n');
  const base = /^BASE=http:\/\/127\.0\.0\.1:3000$/m;
  const keyLine = /^KEY=rsk_\S+$/m;
  expect(script, 'the tutorial sets BASE=http://127.0.0.1:3000 on a line of its own').toMatch(base);
  expect(script, 'the tutorial sets KEY=rsk_... on a line of its own').toMatch(keyLine);
  const filled = script.replace(base, `BASE=${url}`).replace(keyLine, `KEY=${key}`);
  // Stop at the first command that fails, so the failure names the step.
  return `set -euo pipefail\n${filled}\necho "TUTORIAL-RESULT $REFERRAL $REFERRAL2"\n`;
}

function runBash(script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe.skipIf(missingTools.length > 0)('docs/tutorial.md', { timeout: 420_000 }, () => {
  it('takes a newcomer from a first start to referrals moved by Salesforce and HubSpot events', async () => {
    const { url, key } = await startRefsync();
    const { code, output } = await runBash(tutorialScript(url, key));
    expect(code, output).toBe(0);
    const [, salesforceReferral, hubspotReferral] = output.match(/TUTORIAL-RESULT (\S+) (\S+)/) ?? [];
    expect(output).toContain(`Salesforce: referral ${salesforceReferral} is qualified`);
    expect(output).toContain(`HubSpot: referral ${hubspotReferral} is won`);

    const milestoneOf = async (id: string | undefined) => {
      const response = await fetch(`${url}/api/v1/referrals/${id}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { milestone: string }).milestone;
    };
    expect(await milestoneOf(salesforceReferral)).toBe('qualified');
    expect(await milestoneOf(hubspotReferral)).toBe('won');
  });
});
