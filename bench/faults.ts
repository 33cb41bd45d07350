import { parseArgs } from 'node:util';
import { scratchClusterUnavailable } from '../test/helpers/postgres-cluster.ts';
import { type FaultOptions, formatReport, runFaults } from './faults/run.ts';

/**
 * `npm run faults`: refsync under crashes, a database restart and CRM faults, on a PostgreSQL
 * cluster of its own (2 API processes, 3 workers) and on PGlite (one process), then the table
 * of what held. Options: --events N (10000), --referrals N (500), --minutes M (4, the time the
 * events are spread over), --kills N (12), --outage-seconds S (60), --only postgres|pglite.
 * docs/faults.md says what each line proves.
 */

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    referrals: { type: 'string', default: '500' },
    minutes: { type: 'string', default: '4' },
    kills: { type: 'string', default: '12' },
    'outage-seconds': { type: 'string', default: '60' },
    only: { type: 'string' },
  },
});

const backends: Array<FaultOptions['backend']> =
  values.only === 'postgres' || values.only === 'pglite' ? [values.only] : ['postgres', 'pglite'];
const unavailable = scratchClusterUnavailable();
let failed = false;
for (const backend of backends) {
  if (backend === 'postgres' && unavailable) {
    console.log(`skipping PostgreSQL: ${unavailable}`);
    continue;
  }
  const report = await runFaults({
    backend,
    events: Number(values.events),
    referrals: Number(values.referrals),
    durationMs: Number(values.minutes) * 60_000,
    kills: backend === 'postgres' ? Number(values.kills) : Math.ceil(Number(values.kills) / 2),
    outageMs: Number(values['outage-seconds']) * 1000,
    settleTimeoutMs: 15 * 60_000,
    log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
  console.log(`\n${formatReport(report)}\n`);
  if (report.refused.length > 0)
    console.log(`refused requests:\n  ${report.refused.slice(0, 10).join('\n  ')}`);
  if (report.recoverMs === undefined || report.checks.some((check) => check.found !== check.expected))
    failed = true;
}
process.exit(failed ? 1 : 0);
