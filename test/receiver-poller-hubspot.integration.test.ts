import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCrm } from '../src/connections/service.ts';
import type { CrmRecord } from '../src/crm/types.ts';
import type { ApiClient, TestApp } from './helpers/app.ts';
import { SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';
import { addSettings, cursorOf, entriesOf, pollThroughApi, startPollerApp } from './helpers/poller.ts';

/**
 * The catch-up poller of HubSpot, and the connectors' `modifiedSince` paging it relies on. No
 * webhook subscription exists, so every entry here was found by polling.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let programId: string;

beforeAll(async () => {
  ({ testApp, api, workspaceId, programId } = await startPollerApp());
});
afterAll(() => testApp?.close());

const pollNow = (connectionId: string) => pollThroughApi(testApp, api, connectionId);

describe('polling HubSpot', () => {
  let hs: SandboxHubspot;
  let connectionId: string;
  let dealId: string;

  const hubspot = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${SandboxHubspot.baseUrl(testApp)}${path}`, {
      method,
      headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  beforeAll(async () => {
    hs = await SandboxHubspot.createPortal(testApp);
    connectionId = await hs.connect(api);
    await addSettings(
      testApp,
      { workspaceId, programId, connectionId },
      {
        statusTriggers: [{ object: 'deals', field: 'dealstage', value: 'closedwon', milestone: 'approved' }],
      },
    );
    const deal = await hubspot<{ id: string }>('POST', '/crm/v3/objects/deals', {
      properties: { dealname: 'Polled deal', dealstage: 'appointmentscheduled', pipeline: 'default' },
    });
    dealId = deal.id;
  });

  it('finds a deal through search, then only its new changes', async () => {
    const first = await pollNow(connectionId);
    expect(first).toMatchObject({ state: 'completed', output: { status: 'polled', entries: 1 } });
    const [entry] = await entriesOf(testApp, connectionId);
    const created = await hubspot<{ properties: Record<string, string> }>(
      'GET',
      `/crm/v3/objects/deals/${dealId}?properties=dealstage,hs_lastmodifieddate`,
    );
    const modifiedAt = new Date(created.properties.hs_lastmodifieddate ?? '');
    expect(entry).toMatchObject({
      objectType: 'deals',
      recordId: dealId,
      fields: { dealstage: 'appointmentscheduled' },
      dedupeKey: `poll:${connectionId}:deals:${dealId}:${modifiedAt.getTime()}`,
    });
    expect(entry?.occurredAt?.getTime()).toBe(modifiedAt.getTime());
    expect((await cursorOf(testApp, connectionId))?.getTime()).toBe(modifiedAt.getTime());

    const again = await pollNow(connectionId);
    expect(again).toMatchObject({ state: 'completed', output: { status: 'polled', entries: 0 } });

    await hubspot('PATCH', `/crm/v3/objects/deals/${dealId}`, { properties: { dealstage: 'closedwon' } });
    const changed = await pollNow(connectionId);
    expect(changed).toMatchObject({ state: 'completed', output: { status: 'polled', entries: 1 } });
    const entries = await entriesOf(testApp, connectionId);
    expect(entries).toHaveLength(2);
    expect(entries.at(-1)).toMatchObject({ recordId: dealId, fields: { dealstage: 'closedwon' } });
  });
});

/** Every call of `modifiedSince` from `since` on, until it says there is no more or stops moving. */
async function readAll(connectionId: string, object: string, since: Date, fields: string[], limit: number) {
  return withCrm(testApp.app.ctx, connectionId, async (session, connector) => {
    const calls: CrmRecord[][] = [];
    let from: Date | undefined = since;
    while (from !== undefined && calls.length < 20) {
      const page: { records: CrmRecord[]; nextSince: Date | undefined } | undefined =
        await connector.modifiedSince?.(session, object, from, fields, limit);
      if (!page) throw new Error('the connector cannot list changes');
      calls.push(page.records);
      from = page.nextSince !== undefined && page.nextSince > from ? page.nextSince : undefined;
    }
    return calls;
  });
}

const ascending = (records: CrmRecord[]) =>
  records.every((record, n) => n === 0 || (records[n - 1]?.modifiedAt ?? 0) <= (record.modifiedAt ?? 0));

describe('modifiedSince paging', () => {
  it('Salesforce: pages oldest first and never splits a second', async () => {
    const sf = await SandboxSalesforce.createOrg(testApp);
    const connectionId = await sf.connect(api);
    const crm = await sf.jsforce();
    const since = new Date(Date.now() - 60_000);
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const lead = await crm.sobject('Lead').create({ LastName: `Paged ${n}`, Company: 'Pages Ltd' });
      if (lead.success) ids.push(lead.id);
    }
    const calls = await readAll(connectionId, 'Lead', since, ['LastName'], 2);
    const seen = calls.flat();
    expect(new Set(seen.map((record) => record.id))).toEqual(new Set(ids));
    for (const records of calls) expect(ascending(records)).toBe(true);
    // A call that filled its page went on to the end of its last second.
    const first = calls[0] ?? [];
    const lastSecond = Math.floor((first.at(-1)?.modifiedAt?.getTime() ?? 0) / 1000);
    const sameSecond = seen.filter(
      (record) => Math.floor((record.modifiedAt?.getTime() ?? 0) / 1000) === lastSecond,
    );
    for (const record of sameSecond) expect(first.map((one) => one.id)).toContain(record.id);
    expect(seen.find((record) => record.id === ids[0])).toMatchObject({
      object: 'Lead',
      values: { LastName: 'Paged 1' },
      createdAt: expect.any(Date),
    });
  });

  it('HubSpot: pages oldest first through search', async () => {
    const hs = await SandboxHubspot.createPortal(testApp);
    const connectionId = await hs.connect(api);
    const since = new Date(Date.now() - 60_000);
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const response = await fetch(`${SandboxHubspot.baseUrl(testApp)}/crm/v3/objects/contacts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hs.portal.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          properties: { email: `paged${n}@prospect.example`, firstname: `Paged ${n}` },
        }),
      });
      ids.push(((await response.json()) as { id: string }).id);
    }
    const calls = await readAll(connectionId, 'contacts', since, ['email', 'firstname'], 2);
    expect(calls.length).toBeGreaterThan(1);
    const seen = calls.flat();
    expect(new Set(seen.map((record) => record.id))).toEqual(new Set(ids));
    expect(ascending(seen)).toBe(true);
    expect(seen[0]).toMatchObject({
      object: 'contacts',
      values: { email: 'paged1@prospect.example', firstname: 'Paged 1' },
      createdAt: expect.any(Date),
      modifiedAt: expect.any(Date),
    });
  });
});
