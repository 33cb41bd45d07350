import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { consent, SandboxSalesforce } from './helpers/crm.ts';
import {
  feed,
  newProgram,
  newReceiverSettings,
  newReferral,
  outcomeOf,
  referralOf,
  type SalesEntry,
} from './helpers/receiver.ts';

/** An entry that failed because its connection needed reconnecting runs again once it is reconnected. */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [salesEntrySubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
  });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
});
afterAll(() => testApp.close());

describe('reconnecting', () => {
  it('fails entries while the connection needs reconnecting and processes them after', async () => {
    const sf = await SandboxSalesforce.createOrg(testApp);
    const connectionId = await sf.connect(api);
    const programId = await newProgram(api);
    await newReceiverSettings(api, {
      programId,
      connectionId,
      statusTriggers: [
        { object: 'Lead', field: 'Status', value: 'Working - Contacted', milestone: 'qualified' },
      ],
    });
    const referral = await newReferral(api, { programId, email: 'rita@reconnect.example' });
    await sf.revokeTokensOf(connectionId);

    const entryId = await feed(testApp, workspaceId, {
      source: 'salesforce_outbound',
      connectionId,
      objectType: 'Lead',
      recordId: '00Q000000000001AAA',
      fields: { Status: 'Working - Contacted', Email: 'rita@reconnect.example' },
    });
    const failed = await outcomeOf(api, entryId);
    expect(failed.status).toBe('failed');
    expect(failed.reason).toContain('the connection needs reconnecting');

    const again = await api.post<{ authorizeUrl: string }>(`/api/v1/connections/${connectionId}/authorize`);
    expect((await consent(again.body.authorizeUrl)).status).toBe(200);
    // Reconnecting queues the failed entry again: it ends a success this time.
    const done = await eventually(async () => {
      const entry = (await api.get<SalesEntry>(`/api/v1/sales-entries/${entryId}`)).body;
      return entry.status === 'success' ? entry : undefined;
    }, 20_000);
    expect(done).toMatchObject({ status: 'success', matchMethod: 'fuzzy_email', referralId: referral.id });
    expect((await referralOf(api, referral.id)).milestone).toBe('qualified');
  });
});
