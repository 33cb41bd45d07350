import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/client.ts';
import { ApiClient } from '../../test/helpers/app.ts';
import { type ScratchCluster, startScratchCluster } from '../../test/helpers/postgres-cluster.ts';
import { type RefsyncProcess, spawnRefsync } from '../../test/helpers/process.ts';
import { type Check, checkInvariants, settle } from './checks.ts';
import { Load } from './load.ts';
import { checkPayments, type PaymentWiring, paymentFaults, payoutBaseUrls } from './payments.ts';
import { Fleet, type Member, startBalancer } from './processes.ts';
import { adminCall, type Crms, wire } from './setup.ts';

export interface FaultOptions {
  backend: 'postgres' | 'pglite';
  referrals: number;
  events: number;
  /** How long the events are spread over; the faults happen inside it. */
  durationMs: number;
  /** Processes besides the first `refsync start` (PostgreSQL only): API processes and workers. */
  apis?: number;
  workers?: number;
  /** kill -9 of a random process, this many times. */
  kills: number;
  /** How long both sandbox CRMs are down in one piece. */
  outageMs: number;
  settleTimeoutMs: number;
  log?: (line: string) => void;
}

export interface FaultReport {
  backend: FaultOptions['backend'];
  checks: Check[];
  outcomes: Record<string, number>;
  faults: string[];
  /** What the payment sandboxes hold, in a line. */
  payments: string;
  /** From the end of the last fault until every entry was final and every referral in both CRMs. */
  recoverMs: number | undefined;
  eventsSent: number;
  requests: number;
  retries: number;
  refused: string[];
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const key = 'rsk_faults_harness_key_0123456789abcdef';

/** The sandbox faults and crashes of one run, at moments spread over `durationMs`. */
async function faultSchedule(
  options: FaultOptions,
  fleet: Fleet,
  cluster: ScratchCluster | undefined,
  crms: Crms,
  ids: { orgId: string; portalId: number; payments: PaymentWiring },
  note: (line: string) => void,
): Promise<void> {
  const { durationMs: d } = options;
  const org = `${crms.salesforceBase}/_admin/orgs/${ids.orgId}`;
  const portal = `${crms.hubspotBase}/_admin/portals/${ids.portalId}`;
  const at = (share: number, what: () => Promise<unknown>) =>
    (async () => {
      await sleep(share * d);
      await what();
    })();
  // Each kill waits for a process that is up, so every planned kill lands.
  const kills = Array.from({ length: options.kills }, () =>
    at(0.05 + Math.random() * 0.85, () => fleet.killOne(1000 + Math.random() * 2000)),
  );
  await Promise.all([
    ...kills,
    at(0.1, async () => {
      note('Salesforce: 30% of calls answer 500/503; HubSpot: 30 calls answer 429, 20% answer 5xx');
      await adminCall(`${org}/faults`, 'PUT', { errorRate: 0.3, errorStatuses: [500, 503] });
      await adminCall(`${portal}/faults`, 'PUT', { force429Count: 30, errorRate: 0.2 });
      await sleep(0.25 * d);
      await adminCall(`${org}/faults`, 'DELETE');
      await adminCall(`${portal}/faults`, 'DELETE');
    }),
    at(0.1, async () => {
      note(
        'Stripe and Tremendous: 20% of calls answer 500, 10 calls answer 429, 15% lose their answer after the work, until settled',
      );
      await paymentFaults(ids.payments, { errorRate: 0.2, force429Count: 10, lostAnswerRate: 0.15 });
      await sleep(0.25 * d);
      await paymentFaults(ids.payments, { errorRate: 0, force429Count: 0 });
    }),
    at(0.4, async () => {
      if (!cluster) return;
      note('PostgreSQL restart (stopped 3 s)');
      cluster.stop();
      await sleep(3000);
      cluster.start();
    }),
    at(0.5, async () => {
      note(`both CRMs down for ${Math.round(options.outageMs / 1000)} s`);
      const seconds = Math.max(1, Math.round(options.outageMs / 1000));
      await adminCall(`${org}/faults/outage`, 'POST', { seconds });
      await adminCall(`${portal}/faults`, 'PUT', { outageSeconds: seconds });
      await sleep(options.outageMs);
    }),
    at(0.5, async () => {
      note(`Stripe and Tremendous answer 500 to every call for ${Math.round(options.outageMs / 1000)} s`);
      await paymentFaults(ids.payments, { errorRate: 1 });
      await sleep(options.outageMs);
      await paymentFaults(ids.payments, { errorRate: 0 });
    }),
    at(0.75, async () => {
      note('every access token expired (Salesforce and HubSpot)');
      await adminCall(`${org}/faults/expire-tokens`, 'POST');
      await adminCall(`${portal}/expire-tokens`, 'POST');
    }),
  ]);
  while (!fleet.quiet) await sleep(200);
}

export async function runFaults(options: FaultOptions): Promise<FaultReport> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), `refsync-faults-${options.backend}-`));
  const faults: string[] = [];
  const note = (line: string) => {
    faults.push(line);
    log(`fault: ${line}`);
  };
  let sandbox: RefsyncProcess | undefined;
  let cluster: ScratchCluster | undefined;
  let fleet: Fleet | undefined;
  let balancer: Awaited<ReturnType<typeof startBalancer>> | undefined;
  try {
    mkdirSync(join(root, 'sandbox'));
    sandbox = spawnRefsync(['sandbox', '--port', '0'], { REFSYNC_DATA_DIR: join(root, 'sandbox') });
    const [, salesforceBase = ''] = await sandbox.waitFor(/Salesforce: (http:\/\/\S+)/);
    const [, hubspotBase = ''] = await sandbox.waitFor(/HubSpot: +(http:\/\/\S+)/);
    const crms: Crms = { salesforceBase, hubspotBase, sandboxRoot: new URL(salesforceBase).origin };
    if (options.backend === 'postgres') cluster = await startScratchCluster({ maxConnections: 200 });
    const backends = () => fleet?.liveApis() ?? [];
    balancer = await startBalancer(backends);
    fleet = new Fleet(
      {
        ...(cluster ? { DATABASE_URL: cluster.url } : {}),
        REFSYNC_DATA_DIR: join(root, 'refsync'),
        REFSYNC_SECRET_KEY: 'faults-harness-secret-0123456789',
        REFSYNC_BOOTSTRAP_API_KEY: key,
        REFSYNC_PUBLIC_URL: balancer.url,
        REFSYNC_CRM_BASE_URLS: `${salesforceBase},${hubspotBase}`,
        REFSYNC_PAYOUT_BASE_URLS: payoutBaseUrls(crms.sandboxRoot),
        REFSYNC_SANDBOX: '0',
        // Catch-up polls would add entries of their own to the counts.
        REFSYNC_POLL_INTERVAL_SECONDS: '3600',
        REFSYNC_SHUTDOWN_TIMEOUT_MS: '5000',
      },
      (line) => log(line),
    );
    const first = fleet.add('api-1', 'api');
    const others: Member[] = [];
    if (options.backend === 'postgres') {
      for (let n = 2; n <= (options.apis ?? 2); n++) others.push(fleet.add(`api-${n}`, 'api'));
      for (let n = 1; n <= (options.workers ?? 3); n++) others.push(fleet.add(`worker-${n}`, 'worker'));
    }
    // The first start creates the workspace; the others find it.
    await fleet.start(first);
    const running = fleet;
    await Promise.all(others.map((member) => running.start(member)));
    const api = new ApiClient(balancer.url, key);
    const wiring = await wire(api, crms, 10);
    log(
      `wired: ${fleet.members.length} processes, org ${wiring.org.orgId}, portal ${wiring.portal.portalId}`,
    );

    const load = new Load(balancer.url, key, wiring);
    const faultsDone = faultSchedule(
      options,
      fleet,
      cluster,
      crms,
      { orgId: wiring.org.orgId, portalId: wiring.portal.portalId, payments: wiring.payments },
      note,
    );
    // Referrals are made over the first half while events about them arrive all along.
    await Promise.all([
      load
        .createReferrals(options.referrals, options.durationMs / 2)
        .then(() => log(`${load.result.referralIds.length} referrals created`)),
      load.sendEvents({
        referrals: options.referrals,
        events: options.events,
        durationMs: options.durationMs,
      }),
    ]);
    log(`${load.result.sentEvents} events sent, ${load.result.acked.size} acknowledged`);
    await faultsDone;
    const faultsEnded = Date.now();
    const settledAt = await settle(api, load.result, wiring, options.settleTimeoutMs);
    log(settledAt ? 'settled' : 'did not settle in time');
    // Answers were lost until now, so payouts that lag behind the events met them too.
    const lost = await paymentFaults(wiring.payments, null);
    note(`Stripe and Tremendous: ${lost} answers lost after the work was done`);

    if (options.backend === 'pglite') await fleet.stopAll();
    const database = await openDatabase(
      cluster ? { databaseUrl: cluster.url, poolSize: 2 } : { dataDir: join(root, 'refsync') },
    );
    try {
      const { checks, outcomes } = await checkInvariants(database, crms, wiring, load.result);
      const paid = await checkPayments(database, wiring.payments);
      const { planned, landed } = fleet.kills;
      return {
        backend: options.backend,
        checks: [
          ...checks,
          ...paid.checks,
          { name: 'planned kills that did not land', tried: planned, found: planned - landed, expected: 0 },
        ],
        outcomes,
        payments: paid.summary,
        faults: [
          ...faults,
          `kill -9: ${landed} landed of ${planned} planned (${fleet.members
            .map((member) => `${member.name} ${member.kills}`)
            .join(', ')})`,
        ],
        recoverMs: settledAt === undefined ? undefined : Math.max(0, settledAt - faultsEnded),
        eventsSent: load.result.sentEvents,
        requests: load.result.requests,
        retries: load.result.retries,
        refused: load.result.refused,
        elapsedMs: Date.now() - started,
      };
    } finally {
      await database.close();
    }
  } finally {
    await fleet?.stopAll();
    balancer?.server.close();
    sandbox?.child.kill('SIGKILL');
    cluster?.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The report as a table: what was tried, what was found, and whether it held. */
export function formatReport(report: FaultReport): string {
  const width = Math.max(...report.checks.map((check) => check.name.length));
  const lines = [
    `refsync under faults: ${report.backend}`,
    ...report.faults.map((fault) => `  fault: ${fault}`),
    `  ${'check'.padEnd(width)}  ${'tried'.padStart(7)}  ${'found'.padStart(5)}  held`,
    ...report.checks.map(
      (check) =>
        `  ${check.name.padEnd(width)}  ${String(check.tried).padStart(7)}  ${String(check.found).padStart(5)}  ${check.found === check.expected ? 'yes' : 'NO'}`,
    ),
    `  time to recover after the last fault: ${report.recoverMs === undefined ? 'did not settle' : `${(report.recoverMs / 1000).toFixed(1)} s`}`,
    `  ${report.payments}`,
    `  entries by outcome: ${Object.entries(report.outcomes)
      .map(([status, count]) => `${status} ${count}`)
      .join(', ')}`,
    `  ${report.eventsSent} events in ${report.requests} requests (${report.retries} retries), ${(report.elapsedMs / 1000).toFixed(0)} s in all`,
  ];
  return lines.join('\n');
}
