import { eq } from 'drizzle-orm';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connections } from '../src/db/schema.ts';
import { POLL_QUEUE } from '../src/receiver/poller/scheduler.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxSalesforce } from './helpers/crm.ts';
import { addSettings, cursorOf, entriesOf, pollThroughApi, startPollerApp } from './helpers/poller.ts';

/**
 * The catch-up poller of Salesforce, its endpoint and its schedule, against the sandbox. No
 * outbound message rule exists, so every entry here was found by polling.
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
