import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { API_VERSION, startSandbox } from '../../../test/helpers/sandbox-salesforce.ts';
import { fileSandboxStore } from '../store.ts';

const dir = mkdtempSync(join(tmpdir(), 'sf-sandbox-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('persistence', () => {
  it('keeps orgs, records, custom fields, rules and tokens across a restart', async () => {
    const first = await startSandbox(fileSandboxStore(dir));
    const org = await first.createOrg({ name: 'Durable' });
    const conn = await first.login(org);
    await first.admin('POST', `/orgs/${org.orgId}/fields`, { object: 'Lead', name: 'Score', type: 'double' });
    const lead = await conn.sobject('Lead').create({ LastName: 'Kept', Company: 'Disk', Score__c: 42 });
    await first.admin('POST', `/orgs/${org.orgId}/outbound-messages`, {
      object: 'Lead',
      fields: ['Score__c'],
      endpointUrl: 'http://127.0.0.1:9/listener',
      active: false,
    });
    // Closing right after the last write: the pending debounced save must still happen.
    await first.close();

    const second = await startSandbox(fileSandboxStore(dir));
    try {
      const response = await fetch(`${second.base}/services/data/v${API_VERSION}/sobjects/Lead/${lead.id}`, {
        headers: { authorization: `Bearer ${conn.accessToken}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ LastName: 'Kept', Score__c: 42 });
      const rules = await second.admin<unknown[]>('GET', `/orgs/${org.orgId}/outbound-messages`);
      expect(rules.body).toHaveLength(1);
      const again = await second.login(org);
      const next = await again.sobject('Lead').create({ LastName: 'After', Company: 'Restart' });
      expect(next.id).not.toBe(lead.id);
    } finally {
      await second.close();
    }
  });
});

describe('saving while busy', () => {
  /** A store that keeps what it was given and when. */
  function watchedStore() {
    const saves: Array<{ at: number; usage: number }> = [];
    return {
      saves,
      store: {
        load: () => null,
        save: (_name: string, state: unknown) => {
          const orgs = (state as { orgs: Array<{ usage: { count: number } }> }).orgs;
          saves.push({ at: Date.now(), usage: orgs[0]?.usage.count ?? 0 });
        },
      },
    };
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('writes a record change at once, and API-usage counts only now and then and on close', async () => {
    const watched = watchedStore();
    const sandbox = await startSandbox(watched.store);
    try {
      const org = await sandbox.createOrg({ name: 'Busy' });
      const conn = await sandbox.login(org);
      await sleep(400);
      const settled = watched.saves.length;
      // Reads only change the org's API-usage count: no write of the whole org for them.
      for (let i = 0; i < 10; i++) await conn.query('SELECT Id FROM Lead');
      await sleep(600);
      expect(watched.saves.length).toBe(settled);
      // A record change is written within the short delay, usage included.
      const before = Date.now();
      await conn.sobject('Lead').create({ LastName: 'Now', Company: 'Busy' });
      await sleep(600);
      const written = watched.saves.slice(settled);
      expect(written).toHaveLength(1);
      expect(written[0]?.at ?? 0).toBeLessThan(before + 500);
      expect(written[0]?.usage).toBe(11);
      await conn.query('SELECT Id FROM Lead');
    } finally {
      await sandbox.close();
    }
    // The pending usage-only save is not lost on close.
    expect(watched.saves.at(-1)?.usage).toBe(12);
  });
});
