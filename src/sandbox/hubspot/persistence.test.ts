import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adminCall,
  clientFor,
  createPortal,
  startListener,
  startSandbox,
} from '../../../test/helpers/sandbox-hubspot.ts';
import { fileSandboxStore } from '../store.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'hubspot-sandbox-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('state across restarts', () => {
  it('keeps portals, tokens, records, properties, associations and undelivered webhooks', async () => {
    let listenerUp = false;
    const listener = await startListener(() => (listenerUp ? 200 : 503));
    const first = await startSandbox(fileSandboxStore(dataDir));
    const portal = await createPortal(first.baseUrl, { name: 'Durable' });
    await adminCall(first.baseUrl, 'PUT', `/_admin/portals/${portal.portalId}/webhooks`, {
      targetUrl: listener.url,
      gatherMs: 0,
      // The first retry would come 1.2 s later: long enough to restart in between.
      retryTimeScale: 0.01,
    });
    await adminCall(first.baseUrl, 'POST', `/_admin/portals/${portal.portalId}/webhooks/subscriptions`, {
      subscriptionType: 'contact.creation',
    });
    const client = clientFor(first.baseUrl, portal.accessToken);
    await client.crm.properties.coreApi.create('contacts', {
      name: 'member_tier',
      label: 'Member tier',
      type: 'string' as never,
      fieldType: 'text' as never,
      groupName: 'contactinformation',
    });
    const company = await client.crm.companies.basicApi.create({
      properties: { name: 'Keep Co' },
      associations: [],
    });
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'keep@example.com', member_tier: 'gold' },
      associations: [
        {
          to: { id: company.id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 279 }],
        },
      ],
    });
    await listener.waitFor((received) => received.length >= 1);
    // Close only once the failure is recorded, so the saved batch is due for its first retry.
    for (let tries = 0; tries < 100; tries += 1) {
      const log = await adminCall<{ results: unknown[] }>(
        first.baseUrl,
        'GET',
        `/_admin/portals/${portal.portalId}/webhooks/deliveries`,
      );
      if (log.results.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await first.close();

    listenerUp = true;
    const second = await startSandbox(fileSandboxStore(dataDir));
    try {
      const again = clientFor(second.baseUrl, portal.accessToken);
      const read = await again.crm.contacts.basicApi.getById(contact.id, ['email', 'member_tier']);
      expect(read.properties).toMatchObject({ email: 'keep@example.com', member_tier: 'gold' });
      const associations = await again.crm.associations.v4.basicApi.getPage(
        'contacts',
        contact.id,
        'companies',
      );
      expect(associations.results.map((one) => String(one.toObjectId))).toEqual([company.id]);
      const portals = await adminCall<{ results: Array<{ portalId: number; name: string }> }>(
        second.baseUrl,
        'GET',
        '/_admin/portals',
      );
      expect(portals.results.map((one) => one.name)).toEqual(['Durable']);
      // New ids continue after the old ones.
      const next = await again.crm.contacts.basicApi.create({
        properties: { email: 'next@example.com' },
        associations: [],
      });
      expect(Number(next.id)).toBeGreaterThan(Number(contact.id));

      // The batch that failed before the restart is retried by the new process and delivered.
      await listener.waitFor(
        (received) =>
          received.some((request, index) => index > 0 && request.body.includes(`"objectId":${contact.id}`)),
        5000,
      );
      const redelivered = listener.received.filter((request) =>
        request.body.includes(`"objectId":${contact.id}`),
      );
      expect(redelivered.length).toBeGreaterThanOrEqual(2);
      expect(redelivered.at(-1)?.body).toContain('"attemptNumber":1');
    } finally {
      await second.close();
      await listener.close();
    }
  });
});
