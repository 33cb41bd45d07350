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
