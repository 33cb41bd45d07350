import type jsforce from 'jsforce';
import { expect } from 'vitest';
import { pushSubscriber } from '../../src/push/subscriber.ts';
import { sandboxPlugins } from '../../src/sandbox/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './app.ts';
import { SandboxSalesforce } from './crm.ts';

export interface PushLogEntry {
  id: string;
  action: string;
  subjectId: string;
  crmObject: string | null;
  crmId: string | null;
  crmUrl: string | null;
  crmCode: string | null;
  message: string | null;
  retryable: boolean;
}

export interface Referral {
  id: string;
  milestone: string;
  history: Array<{ to: string; reason: string | null; actor: string }>;
}

export interface SalesforcePush {
  testApp: TestApp;
  api: ApiClient;
  sf: SandboxSalesforce;
  connectionId: string;
  crm: jsforce.Connection;
}

/** An app that pushes, one workspace, and a sandbox org connected to it. */
export async function startSalesforcePush(): Promise<SalesforcePush> {
  const testApp = await startTestApp({
    subscribers: [pushSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
  });
  const api = (await testApp.newWorkspace()).api;
  const sf = await SandboxSalesforce.createOrg(testApp);
  const connectionId = await sf.connect(api);
  const crm = await sf.jsforce();
  return { testApp, api, sf, connectionId, crm };
}

/** Program, push settings and push log shortcuts; `current` is read at call time, after setup. */
export function salesforcePushTools(current: () => Pick<SalesforcePush, 'api' | 'connectionId'>) {
  const newProgram = async () =>
    (
      await current().api.post<{ id: string }>('/api/v1/programs', {
        name: `P ${Math.random()}`,
        referralFields: [{ key: 'seats', label: 'Seats', type: 'number' }],
      })
    ).body.id;

  const settingsFor = async (programId: string, body: Record<string, unknown> = {}) => {
    const { api, connectionId } = current();
    const response = await api.post<{ id: string }>('/api/v1/push-settings', {
      programId,
      connectionId,
      crmObject: 'Lead',
      ...body,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.id;
  };

  const logOf = async (subjectId: string, action?: string) =>
    eventually(async () => {
      const entries = (
        await current().api.get<{ data: PushLogEntry[] }>(`/api/v1/push-log?subjectId=${subjectId}`)
      ).body.data;
      const match = entries.find((entry) => (action ? entry.action === action : true));
      return match;
    }, 20_000);

  return { newProgram, settingsFor, logOf };
}

export const uniqueEmail = (label: string) =>
  `${label}.${Math.random().toString(36).slice(2, 8)}@Prospect.example`;

/**
 * The Lead fields a push in a new org finds once a user has set it up: refsync's own fields
 * and a required `Region__c`. Files that do not walk through that setup themselves start here.
 */
export async function addLeadFields({ api, sf, connectionId }: Omit<SalesforcePush, 'testApp' | 'crm'>) {
  const created = await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  await sf.admin('POST', '/fields', { object: 'Lead', name: 'Region', type: 'string', required: true });
}
