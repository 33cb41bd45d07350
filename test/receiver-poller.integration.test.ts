import { and, eq } from 'drizzle-orm';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCrm } from '../src/connections/service.ts';
import { newId } from '../src/core/ids.ts';
import type { CrmRecord } from '../src/crm/types.ts';
import { connections, receiverSettings, type StatusTrigger, salesEntries } from '../src/db/schema.ts';
import { pollCursorOf } from '../src/receiver/connection-state.ts';
import { POLL_QUEUE } from '../src/receiver/poller/scheduler.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxHubspot, SandboxSalesforce } from './helpers/crm.ts';

/**
 * The catch-up poller against the sandbox CRMs. No outbound message rule and no webhook
 * subscription exists, so every entry here was found by polling.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let programId: string;

beforeAll(async () => {
  // Polls here run when a test asks; the scheduled ones have their own app below.
  testApp = await startTestApp({
    plugins: sandboxPlugins(memorySandboxStore()),
    env: { REFSYNC_POLL_INTERVAL_SECONDS: '3600' },
  });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
  programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'Poller program' })).body.id;
});
afterAll(() => testApp?.close());

async function addSettings(
  app: TestApp,
  ids: { workspaceId: string; programId: string; connectionId: string },
  rules: { statusTriggers: StatusTrigger[]; targetField?: { object: string; field: string } },
): Promise<void> {
  await app.app.ctx.db.insert(receiverSettings).values({
    id: newId('receiverSettings'),
    workspaceId: ids.workspaceId,
    programId: ids.programId,
    connectionId: ids.connectionId,
    statusTriggers: rules.statusTriggers,
    fieldUpdates: [],
    targetMatch: rules.targetField ? [{ ...rules.targetField, matchOn: 'externalId' }] : [],
    contactMatching: 'triggered_only',
    memberMatch: [],
    processRules: {
      autoProcessDirect: true,
      autoProcessFuzzy: false,
      reviewWhenNoMemberMatch: true,
      reviewDeniedToPositive: true,
      notifyOnReview: false,
    },
  });
}

/** Asks for a poll through the API and waits for its job to finish. */
async function pollNow(connectionId: string): Promise<{ state: string; output: unknown }> {
  const response = await api.post<{ connectionId: string; jobId: string | null }>(
    `/api/v1/connections/${connectionId}/poll`,
  );
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  const { jobId } = response.body;
  if (jobId === null) throw new Error('a poll was already waiting');
  return eventually(async () => {
    const job = await testApp.app.ctx.queue.boss.getJobById(POLL_QUEUE, jobId);
    return job && (job.state === 'completed' || job.state === 'failed')
      ? { state: job.state, output: job.output }
      : undefined;
  });
}

async function entriesOf(app: TestApp, connectionId: string) {
  return app.app.ctx.db
    .select()
    .from(salesEntries)
    .where(and(eq(salesEntries.connectionId, connectionId), eq(salesEntries.source, 'poll')))
    .orderBy(salesEntries.receivedAt);
}

function cursorOf(app: TestApp, connectionId: string): Promise<Date | null> {
  return pollCursorOf(app.app.ctx.db, connectionId);
}

/** Salesforce answers `2026-03-05T14:07:09.000+0000`. */
const sfInstant = (value: unknown) => new Date(String(value).replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));

describe('polling Salesforce', () => {
  let sf: SandboxSalesforce;
  let crm: jsforce.Connection;
  let connectionId: string;
  let leadId: string;
  let opportunityId: string;

  beforeAll(async () => {
    sf = await SandboxSalesforce.createOrg(testApp);
    connectionId = await sf.connect(api);
    crm = await sf.jsforce();
    await addSettings(
      testApp,
      { workspaceId, programId, connectionId },
      {
        statusTriggers: [
          { object: 'Lead', field: 'Status', value: 'Working - Contacted', milestone: 'qualified' },
          { object: 'Opportunity', field: 'StageName', value: 'Closed Won', milestone: 'approved' },
        ],
        targetField: { object: 'Lead', field: 'Email' },
      },
    );
    const lead = await crm.sobject('Lead').create({
      LastName: 'Polled',
      Company: 'Catch-up Ltd',
      Email: 'polled@prospect.example',
      Status: 'Open - Not Contacted',
    });
    const opportunity = await crm.sobject('Opportunity').create({
      Name: 'Catch-up deal',
      StageName: 'Prospecting',
      CloseDate: '2030-01-31',
    });
    if (!lead.success || !opportunity.success) throw new Error('sandbox refused the records');
    leadId = lead.id;
    opportunityId = opportunity.id;
  });

  it('turns records modified in the lookback into entries and moves the cursor', async () => {
    expect(await cursorOf(testApp, connectionId)).toBeNull();
    const job = await pollNow(connectionId);
    expect(job.state).toBe('completed');
    expect(job.output).toMatchObject({ status: 'polled', entries: 2 });

    const entries = await entriesOf(testApp, connectionId);
    const lead = await crm.sobject('Lead').retrieve(leadId);
    const opportunity = await crm.sobject('Opportunity').retrieve(opportunityId);
    const leadStamp = sfInstant(lead.SystemModstamp);
    const opportunityStamp = sfInstant(opportunity.SystemModstamp);
    expect(entries.map((entry) => [entry.objectType, entry.recordId]).sort()).toEqual(
      [
        ['Lead', leadId],
        ['Opportunity', opportunityId],
      ].sort(),
    );
    const leadEntry = entries.find((entry) => entry.recordId === leadId);
    expect(leadEntry).toMatchObject({
      workspaceId,
      source: 'poll',
      status: 'received',
      fields: { Status: 'Open - Not Contacted', Email: 'polled@prospect.example' },
      dedupeKey: `poll:${connectionId}:Lead:${leadId}:${leadStamp.getTime()}`,
    });
    expect(leadEntry?.occurredAt?.getTime()).toBe(leadStamp.getTime());
    expect(JSON.parse(leadEntry?.rawPayload ?? '{}')).toMatchObject({ id: leadId, object: 'Lead' });
    const opportunityEntry = entries.find((entry) => entry.recordId === opportunityId);
    expect(opportunityEntry?.fields).toEqual({ StageName: 'Prospecting' });
    expect(opportunityEntry?.occurredAt?.getTime()).toBe(opportunityStamp.getTime());

    const newest = Math.max(leadStamp.getTime(), opportunityStamp.getTime());
    expect((await cursorOf(testApp, connectionId))?.getTime()).toBe(newest);
    // Only polls brought entries here: the health shows the poll, and no event yet.
    const connection = await api.get<{
      lastEntryAt: string | null;
      lastPollAt: string | null;
      lastPollFound: number | null;
    }>(`/api/v1/connections/${connectionId}`);
    expect(connection.body.lastPollAt).not.toBeNull();
    expect(connection.body.lastPollFound).toBe(2);
    expect(connection.body.lastEntryAt).toBeNull();
  });

  it('adds nothing when nothing changed', async () => {
    const before = await entriesOf(testApp, connectionId);
    const cursor = await cursorOf(testApp, connectionId);
    const job = await pollNow(connectionId);
    expect(job).toMatchObject({ state: 'completed', output: { status: 'polled', entries: 0 } });
    expect(await entriesOf(testApp, connectionId)).toHaveLength(before.length);
    expect(await cursorOf(testApp, connectionId)).toEqual(cursor);
  });

  it('adds one entry per new change', async () => {
    const before = await entriesOf(testApp, connectionId);
    await crm.sobject('Lead').update({ Id: leadId, Status: 'Working - Contacted' });
    const job = await pollNow(connectionId);
    expect(job).toMatchObject({ state: 'completed', output: { status: 'polled', entries: 1 } });

    const after = await entriesOf(testApp, connectionId);
    expect(after).toHaveLength(before.length + 1);
    const added = after.find((entry) => !before.some((old) => old.id === entry.id));
    const lead = await crm.sobject('Lead').retrieve(leadId);
    expect(added).toMatchObject({
      objectType: 'Lead',
      recordId: leadId,
      fields: { Status: 'Working - Contacted' },
    });
    expect(added?.occurredAt?.getTime()).toBe(sfInstant(lead.SystemModstamp).getTime());
    expect((await cursorOf(testApp, connectionId))?.getTime()).toBe(sfInstant(lead.SystemModstamp).getTime());
  });

  it('keeps the cursor through an outage and catches up after it', async () => {
    await crm.sobject('Opportunity').update({ Id: opportunityId, StageName: 'Closed Won' });
    const before = await entriesOf(testApp, connectionId);
    const cursor = await cursorOf(testApp, connectionId);
    await sf.admin('POST', '/faults/outage', { seconds: 120 });
    try {
      const failed = await pollNow(connectionId);
      expect(failed.state).toBe('failed');
      const failedJobs = await api.get<{ data: Array<Record<string, unknown>> }>(
        `/api/v1/jobs?state=failed&queue=${POLL_QUEUE}&subjectId=${connectionId}`,
      );
      expect(failedJobs.body.data[0]).toMatchObject({ queue: POLL_QUEUE, subjectId: connectionId });
      expect(failedJobs.body.data[0]?.lastError).toEqual(expect.any(String));
      expect(await entriesOf(testApp, connectionId)).toHaveLength(before.length);
      expect(await cursorOf(testApp, connectionId)).toEqual(cursor);
    } finally {
      await sf.admin('DELETE', '/faults');
    }

    const recovered = await pollNow(connectionId);
    expect(recovered).toMatchObject({ state: 'completed', output: { status: 'polled', entries: 1 } });
    const after = await entriesOf(testApp, connectionId);
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({
      objectType: 'Opportunity',
      recordId: opportunityId,
      fields: { StageName: 'Closed Won' },
    });
    const opportunity = await crm.sobject('Opportunity').retrieve(opportunityId);
    expect((await cursorOf(testApp, connectionId))?.getTime()).toBe(
      sfInstant(opportunity.SystemModstamp).getTime(),
    );
  });

  it('skips a connection whose tokens the CRM refuses, and marks it for reconnecting', async () => {
    const other = await SandboxSalesforce.createOrg(testApp);
    const otherId = await other.connect(api);
    await addSettings(
      testApp,
      {
        workspaceId,
        programId: (await api.post<{ id: string }>('/api/v1/programs', { name: 'Second' })).body.id,
        connectionId: otherId,
      },
      {
        statusTriggers: [
          { object: 'Lead', field: 'Status', value: 'Closed - Converted', milestone: 'approved' },
        ],
      },
    );
    const [row] = await testApp.app.ctx.db.select().from(connections).where(eq(connections.id, otherId));
    const refreshToken = row?.refreshTokenSealed ? testApp.app.ctx.secrets.open(row.refreshTokenSealed) : '';
    const revoked = await fetch(`${SandboxSalesforce.baseUrl(testApp)}/services/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken }).toString(),
    });
    expect(revoked.status).toBe(200);

    const job = await pollNow(otherId);
    expect(job).toMatchObject({ state: 'completed', output: { status: 'skipped' } });
    expect(await entriesOf(testApp, otherId)).toHaveLength(0);
    const connection = await api.get<{ status: string }>(`/api/v1/connections/${otherId}`);
    expect(connection.body.status).toBe('needs_reauth');
    const refused = await api.post(`/api/v1/connections/${otherId}/poll`);
    expect(refused.status).toBe(409);
  });
});

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

describe('the poll endpoint', () => {
  it('needs an API key', async () => {
    const response = await testApp.anonymous.post('/api/v1/connections/con_x/poll');
    expect(response.status).toBe(401);
  });

  it("answers 404 for another workspace's connection, and skips one without settings", async () => {
    const sf = await SandboxSalesforce.createOrg(testApp);
    const connectionId = await sf.connect(api);
    const { api: stranger } = await testApp.newWorkspace('stranger');
    const response = await stranger.post(`/api/v1/connections/${connectionId}/poll`);
    expect(response.status).toBe(404);
    // The owner may poll it; without receiver settings there is nothing to read.
    expect(await pollNow(connectionId)).toMatchObject({ state: 'completed', output: { status: 'skipped' } });
  });
});

describe('the scheduled poll', () => {
  let scheduled: TestApp;
  afterAll(() => scheduled?.close());

  it('runs by itself every interval', async () => {
    scheduled = await startTestApp({
      plugins: sandboxPlugins(memorySandboxStore()),
      env: { REFSYNC_POLL_INTERVAL_SECONDS: '1' },
    });
    const workspace = await scheduled.newWorkspace();
    const program = (await workspace.api.post<{ id: string }>('/api/v1/programs', { name: 'Scheduled' })).body
      .id;
    const sf = await SandboxSalesforce.createOrg(scheduled);
    const connectionId = await sf.connect(workspace.api);
    const crm = await sf.jsforce();
    const lead = await crm.sobject('Lead').create({ LastName: 'Ticked', Company: 'Timer Inc' });
    if (!lead.success) throw new Error('sandbox refused the lead');
    await addSettings(
      scheduled,
      { workspaceId: workspace.id, programId: program, connectionId },
      {
        statusTriggers: [
          { object: 'Lead', field: 'Status', value: 'Working - Contacted', milestone: 'qualified' },
        ],
      },
    );

    const first = await eventually(async () => {
      const entries = await entriesOf(scheduled, connectionId);
      return entries.length > 0 ? entries : undefined;
    });
    expect(first).toMatchObject([{ objectType: 'Lead', recordId: lead.id }]);

    await crm.sobject('Lead').update({ Id: lead.id, Status: 'Working - Contacted' });
    const second = await eventually(async () => {
      const entries = await entriesOf(scheduled, connectionId);
      return entries.length > 1 ? entries : undefined;
    });
    expect(second.at(-1)).toMatchObject({ recordId: lead.id, fields: { Status: 'Working - Contacted' } });
  }, 120_000);
});
