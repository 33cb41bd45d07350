import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { receiverSettings, type StatusTrigger, salesEntries } from '../../src/db/schema.ts';
import { pollCursorOf } from '../../src/receiver/connection-state.ts';
import { POLL_QUEUE } from '../../src/receiver/poller/scheduler.ts';
import { sandboxPlugins } from '../../src/sandbox/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './app.ts';

export interface PollerApp {
  testApp: TestApp;
  api: ApiClient;
  workspaceId: string;
  programId: string;
}

/** Polls here run when a test asks; a test of the scheduled ones starts its own app. */
export async function startPollerApp(): Promise<PollerApp> {
  const testApp = await startTestApp({
    plugins: sandboxPlugins(memorySandboxStore()),
    env: { REFSYNC_POLL_INTERVAL_SECONDS: '3600' },
  });
  const workspace = await testApp.newWorkspace();
  const api = workspace.api;
  const programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'Poller program' })).body.id;
  return { testApp, api, workspaceId: workspace.id, programId };
}

export async function addSettings(
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
export async function pollThroughApi(
  testApp: TestApp,
  api: ApiClient,
  connectionId: string,
): Promise<{ state: string; output: unknown }> {
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

export async function entriesOf(app: TestApp, connectionId: string) {
  return app.app.ctx.db
    .select()
    .from(salesEntries)
    .where(and(eq(salesEntries.connectionId, connectionId), eq(salesEntries.source, 'poll')))
    .orderBy(salesEntries.receivedAt);
}

export function cursorOf(app: TestApp, connectionId: string): Promise<Date | null> {
  return pollCursorOf(app.app.ctx.db, connectionId);
}
