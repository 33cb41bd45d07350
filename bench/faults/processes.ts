import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RefsyncProcess, spawnRefsync } from '../../test/helpers/process.ts';

/**
 * The processes of a fault run, as an operator runs them: `refsync start` (API and workers)
 * and `refsync worker` processes, each restartable after a kill -9, behind a small load
 * balancer; and the sandbox CRMs in a `refsync sandbox` process of their own (they stand in
 * for Salesforce and HubSpot, which no refsync crash takes down).
 */

export interface Member {
  name: string;
  kind: 'api' | 'worker';
  process: RefsyncProcess | undefined;
  /** Where an API process listens, while it is up. */
  url: string | undefined;
  kills: number;
}

export class Fleet {
  readonly members: Member[] = [];
  private restarting = new Set<Member>();
  /** kill -9 asked for (`killOne`), and how many reached a running process. */
  readonly kills = { planned: 0, landed: 0 };

  constructor(
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  add(name: string, kind: Member['kind']): Member {
    const member: Member = { name, kind, process: undefined, url: undefined, kills: 0 };
    this.members.push(member);
    return member;
  }

  async start(member: Member): Promise<void> {
    const child = spawnRefsync([member.kind === 'api' ? 'start' : 'worker'], {
      ...this.env,
      REFSYNC_LOG_LEVEL: member.kind === 'api' ? 'warn' : 'info',
    });
    member.process = child;
    if (member.kind === 'api') {
      const [, url] = await child.waitFor(/refsync is running on (http:\/\/\S+)/, 120_000);
      member.url = url;
    } else {
      await child.waitFor(/worker started/, 120_000);
    }
  }

  /** kill -9, then a restart after `downMs` (in the background). */
  kill(member: Member, downMs: number): Promise<void> {
    if (!member.process?.alive() || this.restarting.has(member)) return Promise.resolve();
    this.restarting.add(member);
    member.kills += 1;
    member.url = undefined;
    member.process.child.kill('SIGKILL');
    this.log(`kill -9 ${member.name}`);
    return (async () => {
      await member.process?.exited;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      for (let attempt = 1; ; attempt++) {
        try {
          await this.start(member);
          break;
        } catch (error) {
          // A restart may meet the database restarting too: try again, as a supervisor would.
          if (attempt >= 10) throw error;
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
      this.restarting.delete(member);
      this.log(`restarted ${member.name}`);
    })();
  }

  /** Members running and not in the middle of a restart: where a kill lands. */
  up(): Member[] {
    return this.members.filter((member) => member.process?.alive() && !this.restarting.has(member));
  }

  /**
   * kill -9 of a random member that is up. When every member is still restarting (or the
   * last kill's target is the only one), it waits for one to be up rather than skip the
   * kill, up to `waitMs`. Answers when the victim is back.
   */
  async killOne(downMs: number, waitMs = 180_000): Promise<void> {
    this.kills.planned += 1;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const up = this.up();
      const victim = up[Math.floor(Math.random() * up.length)];
      if (victim) {
        this.kills.landed += 1;
        return this.kill(victim, downMs);
      }
      if (Date.now() > deadline) {
        this.log(`kill -9 skipped: no process up for ${Math.round(waitMs / 1000)} s`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  get quiet(): boolean {
    return this.restarting.size === 0;
  }

  liveApis(): string[] {
    return this.members.flatMap((member) =>
      member.kind === 'api' && member.url && member.process?.alive() ? [member.url] : [],
    );
  }

  async stopAll(): Promise<void> {
    for (const member of this.members) {
      if (!member.process?.alive()) continue;
      member.process.child.kill('SIGTERM');
      const exited = await Promise.race([
        member.process.exited.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), 15_000)),
      ]);
      if (!exited) member.process.child.kill('SIGKILL');
    }
  }
}

/**
 * A load balancer: each request goes to a live API process, round robin. A request that
 * reached no process (connection refused) is tried on the next one; one cut off after it was
 * sent answers 502, as a real balancer does, and the sender retries.
 */
export async function startBalancer(backends: () => string[]): Promise<{ url: string; server: Server }> {
  let next = 0;
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const attempt = (tries: number) => {
        const live = backends();
        if (live.length === 0) {
          // Every API process is down: wait for one (a minute at most), as a balancer queues.
          if (tries > 240) return outgoing.writeHead(503).end('no backend');
          setTimeout(() => attempt(tries + 1), 250);
          return;
        }
        const target = new URL(live[next++ % live.length] ?? '');
        const proxied = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: incoming.method,
            path: incoming.url,
            headers: { ...incoming.headers, 'content-length': String(body.length) },
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
            answer.on('error', () => outgoing.destroy());
          },
        );
        proxied.on('error', (error: NodeJS.ErrnoException) => {
          if (outgoing.headersSent) return outgoing.destroy();
          if (error.code === 'ECONNREFUSED') return setTimeout(() => attempt(tries + 1), 50);
          outgoing.writeHead(502).end(`backend failed: ${error.code ?? error.message}`);
        });
        proxied.end(body);
      };
      attempt(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
