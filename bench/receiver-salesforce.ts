/**
 * The sales receiver fed by Salesforce outbound messages, as a busy org sends them: messages
 * of up to 100 notifications, each an Opportunity moved to Closed Won whose converted Lead
 * carries the referral's ID, so every entry reads its related records from the org (the
 * sandbox Salesforce, through the connection) before it can match.
 *
 * Accepting: BENCH_SF_ENTRIES (2000) notifications in messages of BENCH_SF_MESSAGE (100),
 * posted from BENCH_CONCURRENCY (4) clients to the connection's outbound-message URL with no
 * worker running: entries accepted per second. Processing: then the workers start, and the
 * backlog is timed until every entry has moved its referral: entries processed per second.
 * On PGlite and PostgreSQL (BENCH_DATABASE_URL, default the local server; BENCH_BACKENDS).
 * The sandbox org runs in a `refsync sandbox` process of its own, as a CRM would be elsewhere:
 * its work is not refsync's (BENCH_SF_SANDBOX=inline mounts it in the bench's process instead).
 *
 *   node --import tsx bench/receiver-salesforce.ts
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { salesEntries } from '../src/db/schema.ts';
import { createReferral } from '../src/referrals/service.ts';
import type { TestApp } from '../test/helpers/app.ts';
import { SandboxSalesforce } from '../test/helpers/crm.ts';
import { type RefsyncProcess, spawnRefsync } from '../test/helpers/process.ts';
import { freshBackend, startSandboxedApp } from './support.ts';

const total = Number(process.env.BENCH_SF_ENTRIES ?? 2000);
const perMessage = Number(process.env.BENCH_SF_MESSAGE ?? 100);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const backends = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
const inline = process.env.BENCH_SF_SANDBOX === 'inline';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function message(orgId: string, opportunityIds: string[], first: number): string {
  const stamp = new Date().toISOString();
  const items = opportunityIds
    .map((id, i) => {
      const notification = `04l${String(first + i).padStart(15, '0')}`;
      return (
        `<Notification><Id>${notification}</Id><sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
        `<sf:Id>${id}</sf:Id><sf:StageName>Closed Won</sf:StageName><sf:SystemModstamp>${stamp}</sf:SystemModstamp>` +
        '</sObject></Notification>'
      );
    })
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
    `<OrganizationId>${orgId}</OrganizationId><ActionId>04k000000000001AAA</ActionId><SessionId xsi:nil="true"/>` +
    `${items}</notifications></soapenv:Body></soapenv:Envelope>`
  );
}

async function run(backendName: 'pglite' | 'postgres'): Promise<string> {
  const backend = await freshBackend('receiver_sf', backendName === 'postgres' ? postgresUrl : undefined);
  let sandbox: RefsyncProcess | undefined;
  const sandboxDir = mkdtempSync(join(tmpdir(), 'refsync-bench-sandbox-'));
  let sandboxApp: Pick<TestApp, 'url'> | undefined;
  const env: Record<string, string> = {};
  if (!inline) {
    sandbox = spawnRefsync(['sandbox', '--port', '0'], { REFSYNC_DATA_DIR: sandboxDir });
    const [, salesforceBase = ''] = await sandbox.waitFor(/Salesforce: (http:\/\/\S+)/);
    sandboxApp = { url: salesforceBase.replace(/\/sandbox\/salesforce\/?$/, '') };
    env.REFSYNC_CRM_BASE_URLS = salesforceBase;
  }
  const testApp = await startSandboxedApp(backend, { work: false, env });
  try {
    const { id: workspaceId, api } = await testApp.newWorkspace();
    const org = await SandboxSalesforce.createOrg((sandboxApp ?? testApp) as TestApp, { name: 'Bench org' });
    const connectionId = await org.connect(api);
    const fields = await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' });
    if (fields.status !== 200) throw new Error(`fields: HTTP ${fields.status}`);
    const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Bench' });
    const settings = await api.post('/api/v1/receiver-settings', {
      programId: program.body.id,
      connectionId,
      statusTriggers: [{ object: 'Opportunity', field: 'StageName', value: 'Closed Won', milestone: 'won' }],
      targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
    });
    if (settings.status !== 201)
      throw new Error(`receiver settings: HTTP ${settings.status} ${JSON.stringify(settings.body)}`);

    // Referrals, their Leads (200 per collection call), each converted to an Opportunity.
    const crm = await org.jsforce();
    const opportunityIds: string[] = [];
    for (let start = 0; start < total; start += 200) {
      const count = Math.min(200, total - start);
      const leads = [];
      for (let i = start; i < start + count; i++) {
        const { referral } = await createReferral(
          testApp.app.ctx.db,
          testApp.app.ctx.queue,
          workspaceId,
          { programId: program.body.id, email: `deal${i}@bench.example` },
          { actor: 'system' },
        );
        leads.push({
          LastName: `Deal ${i}`,
          Company: `Company ${i}`,
          Email: `deal${i}@bench.example`,
          Refsync_Referral_Id__c: referral.id,
        });
      }
      const created = await crm.sobject('Lead').create(leads, { allOrNone: true });
      for (const result of created) {
        if (!result.success || !result.id) throw new Error(`lead: ${JSON.stringify(result)}`);
        const converted = await org.admin<{ opportunityId: string }>('POST', `/leads/${result.id}/convert`, {
          opportunityName: `Deal ${result.id}`,
        });
        opportunityIds.push(converted.opportunityId);
      }
    }
    const hooks = await api.get<{ salesforceOutboundUrl: string }>(
      `/api/v1/connections/${connectionId}/hooks`,
    );
    const url = hooks.body.salesforceOutboundUrl;

    const messages: string[] = [];
    for (let first = 0; first < total; first += perMessage) {
      messages.push(message(org.org.orgId, opportunityIds.slice(first, first + perMessage), first));
    }
    let next = 0;
    const acceptStarted = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < messages.length) {
          const body = messages[next++] ?? '';
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
            body,
          });
          const text = await response.text();
          if (response.status !== 200 || !text.includes('<Ack>true</Ack>')) {
            throw new Error(`outbound message: HTTP ${response.status} ${text.slice(0, 300)}`);
          }
        }
      }),
    );
    const acceptSeconds = (performance.now() - acceptStarted) / 1000;

    const processStarted = performance.now();
    await testApp.app.ctx.queue.work(testApp.app.ctx);
    const db = testApp.app.ctx.db;
    for (;;) {
      const [row] = await db
        .select({
          done: sql<number>`count(*) filter (where ${salesEntries.status} <> 'received')`,
          moved: sql<number>`count(*) filter (where ${salesEntries.status} = 'success')`,
        })
        .from(salesEntries)
        .where(and(eq(salesEntries.workspaceId, workspaceId)));
      const done = Number(row?.done ?? 0);
      if (done >= total) {
        const moved = Number(row?.moved ?? 0);
        if (moved !== total) throw new Error(`${moved} of ${total} entries moved a milestone`);
        break;
      }
      await sleep(50);
    }
    const processSeconds = (performance.now() - processStarted) / 1000;
    return (
      `${backendName.padEnd(9)} accepted ${(total / acceptSeconds).toFixed(0).padStart(6)}/s (no workers)   ` +
      `processed ${(total / processSeconds).toFixed(0).padStart(6)}/s from the backlog`
    );
  } finally {
    await testApp.close();
    await backend.drop();
    sandbox?.child.kill();
    await sandbox?.exited;
    rmSync(sandboxDir, { recursive: true, force: true });
  }
}

console.log(
  `Salesforce outbound messages: ${total} Opportunity notifications in messages of ${perMessage}, ` +
    `${concurrency} concurrent senders; each entry reads its converted Lead from the sandbox org ` +
    `(${inline ? 'in this process' : 'in a process of its own'})`,
);
for (const backend of backends) console.log(await run(backend));
