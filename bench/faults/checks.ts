import { sql } from 'drizzle-orm';
import jsforce from 'jsforce';
import { type Database, queryRows } from '../../src/db/client.ts';
import type { ApiClient } from '../../test/helpers/app.ts';
import type { LoadResult } from './load.ts';
import type { Crms, Wiring } from './setup.ts';

/** What a fault run must show once things settle, each with what it tried and whether it held. */
export interface Check {
  name: string;
  tried: number;
  found: number;
  expected: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A read of a sandbox's records once things settled, tried again when the connection fails
 * (a kept-alive connection the server closed meanwhile): reads change nothing.
 */
export async function read(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(500 * attempt);
    }
  }
}

/** Referral IDs with a record in the CRM of `connectionId`, from the push log (the API). */
async function pushed(api: ApiClient, connectionId: string): Promise<Set<string>> {
  const found = new Set<string>();
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ connectionId, limit: '100' });
    if (cursor) query.set('cursor', cursor);
    const page = await api.get<{
      data: Array<{ subjectId: string; crmId: string | null }>;
      nextCursor?: string;
    }>(`/api/v1/push-log?${query}`);
    if (page.status !== 200) throw new Error(`push log: ${page.status}`);
    for (const entry of page.body.data) if (entry.crmId) found.add(entry.subjectId);
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor);
  return found;
}

/** Whether no reward job waits or runs and no reward waits for its payout. */
async function rewardsSettled(api: ApiClient): Promise<boolean> {
  for (const queue of ['rewards.issue', 'rewards.payout']) {
    for (const state of ['created', 'retry', 'active']) {
      const jobs = await api.get<{ data: unknown[] }>(`/api/v1/jobs?queue=${queue}&state=${state}&limit=1`);
      if (jobs.status !== 200 || jobs.body.data.length > 0) return false;
    }
  }
  const approved = await api.get<{ data: unknown[] }>('/api/v1/rewards?status=approved&limit=1');
  return approved.status === 200 && approved.body.data.length === 0;
}

/**
 * Waits until no entry is waiting to be processed, every referral is in both CRMs and every
 * reward has been issued and paid (or failed), asking the API as a user would; answers when
 * that was (or undefined at the deadline).
 */
export async function settle(
  api: ApiClient,
  load: LoadResult,
  wiring: Wiring,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const waiting = await api.get<{ data: unknown[] }>('/api/v1/sales-entries?status=received&limit=1');
      if (waiting.status === 200 && waiting.body.data.length === 0) {
        const [salesforce, hubspot] = await Promise.all([
          pushed(api, wiring.salesforceId),
          pushed(api, wiring.hubspotId),
        ]);
        if (
          load.referralIds.every((id) => salesforce.has(id) && hubspot.has(id)) &&
          (await rewardsSettled(api))
        )
          return Date.now();
      }
    } catch {
      // A process may still be restarting: ask again.
    }
    await sleep(2000);
  }
  return undefined;
}

async function salesforceLeads(crms: Crms, wiring: Wiring): Promise<string[]> {
  const connection = new jsforce.Connection({
    oauth2: {
      loginUrl: crms.salesforceBase,
      clientId: wiring.org.clientId,
      clientSecret: wiring.org.clientSecret,
    },
    version: '62.0',
  });
  await connection.login(wiring.org.username, wiring.org.password);
  const ids: string[] = [];
  let result = await connection.query<{ Refsync_Referral_Id__c: string | null }>(
    'SELECT Id, Refsync_Referral_Id__c FROM Lead',
  );
  for (;;) {
    for (const record of result.records)
      if (record.Refsync_Referral_Id__c) ids.push(record.Refsync_Referral_Id__c);
    if (result.done || !result.nextRecordsUrl) break;
    result = await connection.queryMore(result.nextRecordsUrl);
  }
  return ids;
}

async function hubspotContacts(crms: Crms, wiring: Wiring): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', properties: 'refsync_referral_id' });
    if (after) query.set('after', after);
    const response = await read(`${crms.hubspotBase}/crm/v3/objects/contacts?${query}`, {
      headers: { authorization: `Bearer ${wiring.portal.accessToken}` },
    });
    if (!response.ok) throw new Error(`HubSpot contacts: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as {
      results: Array<{ properties: Record<string, string | null> }>;
      paging?: { next?: { after?: string } };
    };
    for (const contact of page.results) {
      const id = contact.properties.refsync_referral_id;
      if (id) ids.push(id);
    }
    after = page.paging?.next?.after;
  } while (after);
  return ids;
}

function duplicates(values: string[]): number {
  const seen = new Map<string, number>();
  for (const value of values) seen.set(value, (seen.get(value) ?? 0) + 1);
  return [...seen.values()].filter((count) => count > 1).length;
}

/** The invariants, read from the database (read only) and from the CRMs themselves. */
export async function checkInvariants(
  database: Database,
  crms: Crms,
  wiring: Wiring,
  load: LoadResult,
): Promise<{ checks: Check[]; outcomes: Record<string, number> }> {
  const rows = <T>(text: string) => queryRows<T>(database.db, sql.raw(text));
  const stored = new Set(
    (await rows<{ dedupe_key: string }>('select dedupe_key from sales_entries')).map((row) => row.dedupe_key),
  );
  const ackedStored = [...load.acked].filter((key) => stored.has(key)).length;
  const outcomes = Object.fromEntries(
    (
      await rows<{ status: string; n: number }>(
        'select status, count(*)::int as n from sales_entries group by status',
      )
    ).map((row) => [row.status, Number(row.n)]),
  );
  const [leads, contacts] = await Promise.all([salesforceLeads(crms, wiring), hubspotContacts(crms, wiring)]);
  const leadSet = new Set(leads);
  const contactSet = new Set(contacts);
  const movedTwice = await rows<{ n: number }>(
    "select count(*)::int as n from (select reason from milestone_changes where reason like 'sales entry %' group by reason having count(*) > 1) twice",
  );
  const moves = await rows<{ n: number }>(
    "select count(*)::int as n from milestone_changes where reason like 'sales entry %'",
  );
  const rewardsTwice = await rows<{ n: number }>(
    "select count(*)::int as n from (select rule_id, referral_id, recipient from rewards where status <> 'canceled' group by 1, 2, 3 having count(*) > 1) twice",
  );
  const rewards = await rows<{ n: number }>(
    "select count(*)::int as n from rewards where status <> 'canceled'",
  );
  const lost = load.referralIds.filter((id) => !leadSet.has(id) || !contactSet.has(id)).length;
  return {
    outcomes,
    checks: [
      {
        name: 'events acknowledged but not stored',
        tried: load.acked.size,
        found: load.acked.size - ackedStored,
        expected: 0,
      },
      {
        name: 'entries not in a final state',
        tried: stored.size,
        found: outcomes.received ?? 0,
        expected: 0,
      },
      {
        name: 'duplicate CRM records',
        tried: leads.length + contacts.length,
        found: duplicates(leads) + duplicates(contacts),
        expected: 0,
      },
      {
        name: 'milestone moves applied twice',
        tried: Number(moves[0]?.n ?? 0),
        found: Number(movedTwice[0]?.n ?? 0),
        expected: 0,
      },
      {
        name: 'rewards issued twice',
        tried: Number(rewards[0]?.n ?? 0),
        found: Number(rewardsTwice[0]?.n ?? 0),
        expected: 0,
      },
      { name: 'pushes lost', tried: load.referralIds.length * 2, found: lost, expected: 0 },
      {
        name: 'requests the harness made wrong',
        tried: load.requests,
        found: load.refused.length,
        expected: 0,
      },
    ],
  };
}
