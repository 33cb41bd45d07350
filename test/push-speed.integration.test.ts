import { Client } from '@hubspot/api-client';
import { and, eq } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/client.ts';
import * as schema from '../src/db/schema.ts';
import { pushLog, pushRecords } from '../src/db/schema.ts';
import { logWriter } from '../src/push/log-entries.ts';
import { getPushSettings } from '../src/push/settings-service.ts';
import { pushSubscriber } from '../src/push/subscriber.ts';
import { createReferral } from '../src/referrals/service.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { hubspotPushProgram, SandboxHubspot } from './helpers/crm.ts';
import { crmCallCounter } from './helpers/crm-calls.ts';

/**
 * Referral add at speed: a backlog goes to HubSpot paced under the portal's limit (no 429),
 * in few calls (no search by referral ID on a first attempt), and its records and log rows
 * are written with multi-row inserts.
 */

interface PushLogEntry {
  id: string;
  subjectId: string;
  action: string;
  crmId: string | null;
  message: string | null;
}

const counter = crmCallCounter();

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [pushSubscriber],
    plugins: [{ prefix: '', plugin: counter.plugin }, ...sandboxPlugins(memorySandboxStore())],
  });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
});
afterAll(() => testApp.close());

const hubspotProgram = (name: string) => hubspotPushProgram(testApp, api, name);

/** An import: `count` referrals committed together, so the push queue holds them all at once. */
async function importReferrals(programId: string, label: string, count: number): Promise<string[]> {
  const { ctx } = testApp.app;
  return ctx.db.transaction(async (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { referral } = await createReferral(
        tx,
        ctx.queue,
        workspaceId,
        { programId, lastName: `${label} ${i}`, email: `${label}${i}@import.example`, company: 'Import Ltd' },
        { actor: 'system' },
      );
      ids.push(referral.id);
    }
    return ids;
  });
}

async function createdEntries(settingsId: string): Promise<Map<string, PushLogEntry>> {
  const found = new Map<string, PushLogEntry>();
  let cursor: string | null = null;
  do {
    const page: { body: { data: PushLogEntry[]; nextCursor: string | null } } = await api.get(
      `/api/v1/push-log?action=created&settingsId=${settingsId}&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
    );
    for (const entry of page.body.data) found.set(entry.subjectId, entry);
    cursor = page.body.nextCursor;
  } while (cursor);
  return found;
}

describe('a backlog into HubSpot', () => {
  it('is paced under the portal limit: no 429, at most 0.02 calls per referral, no referral-ID search', async () => {
    const setup = await hubspotProgram('Paced import');
    // A tight limit, so pacing shows in seconds rather than minutes.
    await setup.hs.admin('PATCH', '/settings', { rateLimitMax: 6, rateLimitIntervalMs: 1000 });
    const before = { calls: counter.calls.hubspot, tooMany: counter.tooMany.hubspot };
    const searchesBefore = counter.referralIdSearches.hubspot;
    const ids = await importReferrals(setup.programId, 'paced', 600);
    const entries = await eventually(async () => {
      const found = await createdEntries(setup.settingsId);
      return ids.every((id) => found.has(id)) ? found : undefined;
    }, 90_000);
    expect(entries.size).toBe(600);
    const calls = counter.calls.hubspot - before.calls;
    expect(counter.tooMany.hubspot - before.tooMany).toBe(0);
    expect(counter.referralIdSearches.hubspot - searchesBefore).toBe(0);
    expect(calls / ids.length).toBeLessThanOrEqual(0.02);

    const metrics = await (await fetch(`${testApp.url}/metrics`)).text();
    const count = new RegExp(
      `refsync_referral_to_crm_seconds_count\\{connection="${setup.connectionId}"\\} (\\d+)`,
    );
    expect(Number(metrics.match(count)?.[1])).toBe(600);
  }, 120_000);

  it('looks a retried referral up by its referral ID and adopts the contact an interrupted attempt created', async () => {
    const setup = await hubspotProgram('Interrupted');
    await setup.hs.admin('PUT', '/faults', { outageSeconds: 3 });
    const email = `interrupted.${Math.random().toString(36).slice(2, 8)}@prospect.example`;
    const referral = (
      await api.post<{ id: string }>('/api/v1/referrals', {
        programId: setup.programId,
        lastName: 'Cut',
        email,
      })
    ).body;
    await eventually(async () => {
      const entries = (await api.get<{ data: PushLogEntry[] }>(`/api/v1/push-log?subjectId=${referral.id}`))
        .body.data;
      return entries.find((entry) => entry.action === 'failed');
    });
    // What an attempt that died after the CRM answered would have left: the contact, unremembered.
    await setup.hs.admin('DELETE', '/faults');
    const crm = new Client({
      accessToken: setup.hs.portal.accessToken,
      basePath: SandboxHubspot.baseUrl(testApp),
    });
    const made = await crm.crm.contacts.basicApi.create({
      properties: { email, lastname: 'Cut', refsync_referral_id: referral.id },
      associations: [],
    });
    const before = counter.referralIdSearches.hubspot;
    const adopted = await eventually(async () => {
      const entries = (await api.get<{ data: PushLogEntry[] }>(`/api/v1/push-log?subjectId=${referral.id}`))
        .body.data;
      return entries.find((entry) => entry.action === 'created');
    }, 40_000);
    expect(adopted).toMatchObject({
      crmId: made.id,
      message: 'Found in the CRM by its referral ID: an earlier attempt created it',
    });
    expect(counter.referralIdSearches.hubspot).toBeGreaterThan(before);
  }, 60_000);
});

describe('push records and log rows', () => {
  it('are written with one multi-row insert each', async () => {
    const setup = await hubspotProgram('Inserts');
    const { ctx } = testApp.app;
    const settings = await getPushSettings(ctx.db, workspaceId, setup.settingsId);
    const statements: string[] = [];
    const logger = { logQuery: (query: string) => statements.push(query) };
    const database = ctx.database;
    const db = (database.kind === 'pglite'
      ? drizzlePglite({ client: database.pglite, schema, logger })
      : drizzlePostgres({ client: database.pool, schema, logger })) as unknown as Db;
    const subjects = Array.from({ length: 300 }, (_, i) => `ref_insert_${i}`);
    await logWriter(
      { ...ctx, db },
      settings,
    )(
      subjects.map((subjectId, i) => ({
        subjectId,
        action: 'created' as const,
        crmObject: 'contacts',
        crmId: String(9000 + i),
        pushed: { crmObject: 'contacts', crmId: String(9000 + i) },
      })),
    );
    const inserts = statements.filter((query) => query.startsWith('insert'));
    expect(inserts.filter((query) => query.startsWith('insert into "push_records"'))).toHaveLength(1);
    expect(inserts.filter((query) => query.startsWith('insert into "push_log"'))).toHaveLength(1);

    const records = await ctx.db
      .select()
      .from(pushRecords)
      .where(eq(pushRecords.settingsId, setup.settingsId));
    expect(records).toHaveLength(300);
    expect(records.find((record) => record.subjectId === 'ref_insert_7')?.crmId).toBe('9007');
    const logged = await ctx.db
      .select()
      .from(pushLog)
      .where(and(eq(pushLog.settingsId, setup.settingsId), eq(pushLog.action, 'created')));
    expect(logged).toHaveLength(300);
  });
});
