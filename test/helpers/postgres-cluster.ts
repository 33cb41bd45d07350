import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const binDir = process.env.REFSYNC_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of a test's own, which the test may stop and start at will (never the
 * machine's shared server). initdb refuses to run as root, so as root it runs as `postgres`.
 */
export interface ScratchCluster {
  /** Connection string of its `postgres` database (trust auth). */
  url: string;
  /** Shuts the server down as an administrator would (`pg_ctl stop -m fast`). */
  stop(): void;
  start(): void;
  destroy(): void;
}

function postgresUid(): number | undefined {
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

/** Why a scratch cluster cannot run here, or undefined when it can. */
export function scratchClusterUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (!existsSync(join(binDir, 'initdb')) || !existsSync(join(binDir, 'pg_ctl'))) {
    return `no PostgreSQL binaries in ${binDir} (set REFSYNC_TEST_PG_BIN)`;
  }
  if (process.getuid?.() === 0 && (postgresUid() === undefined || !existsSync('/usr/sbin/runuser'))) {
    return 'running as root without a postgres user and runuser to run initdb as';
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startScratchCluster(
  settings: { maxConnections?: number } = {},
): Promise<ScratchCluster> {
  const root = mkdtempSync(join(tmpdir(), 'refsync-pg-'));
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? postgresUid() : undefined;
  if (uid !== undefined) chownSync(root, uid, -1);
  const run = (tool: string, args: string[]) => {
    const command = join(binDir, tool);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
    else execFileSync(command, args, { stdio: 'pipe' });
  };
  const data = join(root, 'data');
  const sockets = join(root, 'sockets');
  mkdirSync(sockets);
  if (uid !== undefined) chownSync(sockets, uid, -1);
  const port = await freePort();
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const options = `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=${settings.maxConnections ?? 50}`;
  const start = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'server.log'), '-w', 'start']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    start,
    destroy: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
