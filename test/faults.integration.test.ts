import { describe, expect, it } from 'vitest';
import { type FaultOptions, formatReport, runFaults } from '../bench/faults/run.ts';
import { scratchClusterUnavailable } from './helpers/postgres-cluster.ts';

/**
 * The short variant of `npm run faults` (docs/faults.md): few events, one kill -9, one
 * PostgreSQL restart, a few seconds of CRM and payment outage, payment calls that lose their
 * answer after the work. Every invariant of the full run must hold, and every reward must
 * have been paid exactly once through Stripe or Tremendous.
 */

const unavailable = scratchClusterUnavailable();
if (unavailable) {
  if (process.env.CI === 'true')
    throw new Error(`the fault run needs a private PostgreSQL cluster: ${unavailable}`);
  console.warn(`skipping the PostgreSQL fault run: ${unavailable}`);
}

// It starts a cluster of its own whatever the suite runs on: the PostgreSQL pass of the suite
// (REFSYNC_TEST_DATABASE_URL) would only repeat it.
const repeated = process.env.REFSYNC_TEST_DATABASE_URL !== undefined;
if (repeated) console.warn('skipping the fault run in the PostgreSQL pass: it runs in the PGlite pass');

const short: Omit<FaultOptions, 'backend'> = {
  referrals: 10,
  events: 200,
  durationMs: 15_000,
  kills: 1,
  outageMs: 3_000,
  settleTimeoutMs: 90_000,
  apis: 1,
  workers: 1,
};

async function expectAllHeld(options: FaultOptions) {
  const report = await runFaults(options);
  console.log(formatReport(report));
  expect(report.refused).toEqual([]);
  expect(report.recoverMs, 'settled').toBeDefined();
  for (const check of report.checks) expect(check.found, check.name).toBe(check.expected);
  const tried = (name: string) => report.checks.find((check) => check.name === name)?.tried;
  expect(tried('events acknowledged but not stored')).toBe(options.events);
  expect(tried('planned kills that did not land')).toBe(options.kills);
  // Payouts ran, and each reward of the ledger was paid by exactly one payment.
  const rewards = tried('rewards not paid') ?? 0;
  expect(rewards, report.payments).toBeGreaterThan(0);
  expect(tried('rewards paid twice'), 'rewards with a payment').toBe(rewards);
  expect(tried('payments unlike the ledger'), 'payments').toBe(rewards);
}

describe.skipIf(repeated)('refsync under faults (short run)', { timeout: 600_000 }, () => {
  it.skipIf(unavailable !== undefined)('on PostgreSQL: nothing lost, nothing applied twice', async () => {
    await expectAllHeld({ ...short, backend: 'postgres' });
  });

  it('on PGlite, its one process killed and restarted: nothing lost, nothing applied twice', async () => {
    await expectAllHeld({ ...short, backend: 'pglite' });
  });
});
