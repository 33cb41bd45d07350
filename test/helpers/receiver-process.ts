import { expect } from 'vitest';
import { pushSubscriber } from '../../src/push/subscriber.ts';
import { salesEntrySubscriber } from '../../src/receiver/process/subscriber.ts';
import { type ApiClient, startTestApp, type TestApp } from './app.ts';
import { feed, newProgram, newReceiverSettings } from './receiver.ts';

export interface ProcessApp {
  testApp: TestApp;
  api: ApiClient;
  workspaceId: string;
}

/** An app that processes entries and pushes, with one workspace. */
export async function startProcessApp(): Promise<ProcessApp> {
  const testApp = await startTestApp({
    subscribers: [salesEntrySubscriber, pushSubscriber],
  });
  const workspace = await testApp.newWorkspace();
  return { testApp, api: workspace.api, workspaceId: workspace.id };
}

const orderTriggers = [
  { object: 'order', field: 'stage', value: 'Qualified', milestone: 'qualified' },
  { object: 'order', field: 'stage', value: 'Won', milestone: 'won' },
  { object: 'order', field: 'stage', value: 'Submitted', milestone: 'submitted', allowBackward: true },
  { object: 'order', field: 'stage', value: 'Reopened', milestone: 'submitted' },
];

/** Program setup and order entries; `current` is read at call time, after setup. */
export function processTools(current: () => ProcessApp) {
  /** A program with API receiver settings; each test gets its own, so rules do not mix. */
  async function setup(settings: Record<string, unknown> = {}) {
    const { api } = current();
    const programId = await newProgram(api, {
      referralFields: [{ key: 'seats', label: 'Seats', type: 'number' }],
    });
    const settingsId = await newReceiverSettings(api, {
      programId,
      connectionId: null,
      statusTriggers: orderTriggers,
      targetMatch: [{ object: 'order', field: 'refsyncId', matchOn: 'referralId' }],
      ...settings,
    });
    const member = await api.post<{ id: string; referralCode: string }>('/api/v1/members', {
      programId,
      email: `member.${Math.random().toString(36).slice(2, 8)}@example.com`,
    });
    expect(member.status).toBe(201);
    return { programId, settingsId, member: member.body };
  }

  const order = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    feed(current().testApp, current().workspaceId, {
      objectType: 'order',
      recordId: `o-${Math.random()}`,
      fields,
      ...extra,
    });

  return { setup, order };
}
