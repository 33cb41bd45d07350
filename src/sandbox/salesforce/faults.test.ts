import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  passwordGrant,
  type RunningSandbox,
  rejection,
  startSandbox,
} from '../../../test/helpers/sandbox-salesforce.ts';

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

describe('faults', () => {
  it('keeps orgs apart: each has its own credentials, data and faults', async () => {
    const a = await sandbox.createOrg({ name: 'A' });
    const b = await sandbox.createOrg({ name: 'B' });
    expect(a.orgId).not.toBe(b.orgId);
    const connA = await sandbox.login(a);
    const connB = await sandbox.login(b);
    await connA.sobject('Account').create({ Name: 'Only in A' });
    expect((await connB.query("SELECT Id FROM Account WHERE Name = 'Only in A'")).totalSize).toBe(0);
    await sandbox.admin('POST', `/orgs/${a.orgId}/faults/outage`, { seconds: 60 });
    expect((await connB.query('SELECT Id FROM Account')).totalSize).toBe(0);
    // POST: jsforce does not retry it, so the 503 reaches the caller at once.
    const down = await rejection(connA.sobject('Account').create({ Name: 'During outage' }));
    expect(down.errorCode).toBe('SERVER_UNAVAILABLE');
    await sandbox.admin('POST', `/orgs/${a.orgId}/faults/outage`, { seconds: 0 });
    expect((await connA.query('SELECT Id FROM Account')).totalSize).toBe(1);
  });

  it('answers 503 for everything but the admin API during an outage, token endpoint included', async () => {
    const org = await sandbox.createOrg();
    const conn = await sandbox.login(org);
    await sandbox.admin('POST', `/orgs/${org.orgId}/faults/outage`, { seconds: 0.3 });
    const rest = await fetch(`${sandbox.base}/services/data/v${API_VERSION}/limits`, {
      headers: { authorization: `Bearer ${conn.accessToken}` },
    });
    expect(rest.status).toBe(503);
    expect(await rest.json()).toEqual([
      { errorCode: 'SERVER_UNAVAILABLE', message: 'Server temporarily unavailable' },
    ]);
    const token = await passwordGrant(sandbox.base, org);
    expect(token.status).toBe(503);
    expect((await fetch(`${sandbox.base}/_ui/orgs/${org.orgId}?object=Lead`)).status).toBe(503);
    expect((await sandbox.admin('GET', `/orgs/${org.orgId}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await conn.query('SELECT Id FROM Lead')).totalSize).toBe(0);
  });

  it('forces the next N failures with a Salesforce-shaped body, then recovers', async () => {
    const org = await sandbox.createOrg();
    const conn = await sandbox.login(org);
    await sandbox.admin('PUT', `/orgs/${org.orgId}/faults`, { forcedFailures: 2, forcedStatus: 500 });
    const first = await rejection(conn.sobject('Lead').create({ LastName: 'F', Company: 'Fault' }));
    expect(first.errorCode).toBe('UNKNOWN_EXCEPTION');
    const raw = await fetch(`${sandbox.base}/services/data/v${API_VERSION}/limits`, {
      headers: { authorization: `Bearer ${conn.accessToken}` },
    });
    expect(raw.status).toBe(500);
    expect(await raw.json()).toMatchObject([{ errorCode: 'UNKNOWN_EXCEPTION' }]);
    expect((await conn.query('SELECT Id FROM Lead')).totalSize).toBe(0);
  });

  it("lets jsforce's own retry ride over a forced 503 on a GET", async () => {
    const org = await sandbox.createOrg();
    const conn = await sandbox.login(org);
    await sandbox.admin('PUT', `/orgs/${org.orgId}/faults`, { forcedFailures: 1, forcedStatus: 503 });
    // The first answer is a 503; the GET still succeeds because jsforce retries it.
    const result = await conn.request({ method: 'GET', url: `/services/data/v${API_VERSION}/limits` });
    expect(result).toHaveProperty('DailyApiRequests');
    const faults = await sandbox.admin<{ forcedFailures: number }>('GET', `/orgs/${org.orgId}/faults`);
    expect(faults.body.forcedFailures).toBe(0);
  });

  it('fails about the configured share of requests with 500/503 and adds latency', async () => {
    const org = await sandbox.createOrg();
    const conn = await sandbox.login(org);
    await sandbox.admin('PUT', `/orgs/${org.orgId}/faults`, { errorRate: 1, errorStatuses: [503] });
    const failed = await rejection(conn.sobject('Lead').create({ LastName: 'R', Company: 'Rate' }));
    expect(failed.errorCode).toBe('SERVER_UNAVAILABLE');
    await sandbox.admin('PUT', `/orgs/${org.orgId}/faults`, { errorRate: 0, latencyMs: 120 });
    const started = Date.now();
    await conn.query('SELECT Id FROM Lead');
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    const reset = await sandbox.admin<{ latencyMs: number }>('DELETE', `/orgs/${org.orgId}/faults`);
    expect(reset.body.latencyMs).toBe(0);
  });

  it('validates admin input and answers unknown orgs with 404', async () => {
    const bad = await sandbox.admin<{ errorCode: string }[]>('PUT', '/orgs/00D000000000000AAA/faults', {
      errorRate: 2,
    });
    expect(bad.status).toBe(404);
    const org = await sandbox.createOrg();
    const invalid = await sandbox.admin<{ errorCode: string }[]>('PUT', `/orgs/${org.orgId}/faults`, {
      errorRate: 2,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body[0]?.errorCode).toBe('INVALID_INPUT');
  });
});
