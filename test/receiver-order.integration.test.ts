import { and, eq } from 'drizzle-orm';
import type jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntries } from '../src/db/schema.ts';
import { pushSubscriber } from '../src/push/subscriber.ts';
import { processEntry } from '../src/receiver/process/processor.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './helpers/app.ts';
import { SandboxSalesforce } from './helpers/crm.ts';
import {
  newProgram,
  newReceiverSettings,
  newReferral,
  outcomeOf,
  type Referral,
  referralOf,
  type SalesEntry,
} from './helpers/receiver.ts';

/**
 * CRM events delivered out of order, and more than once, end where delivering them once in
 * the CRM's order ends: the CRM's modification time orders them, not their arrival.
 */

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let sf: SandboxSalesforce;
let connectionId: string;
let outboundUrl: string;
let crm: jsforce.Connection;
let programId: string;

beforeAll(async () => {
  testApp = await startTestApp({
    subscribers: [salesEntrySubscriber, pushSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
  });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
  sf = await SandboxSalesforce.createOrg(testApp);
  connectionId = await sf.connect(api);
  const fields = await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'Lead' });
  expect(fields.status, JSON.stringify(fields.body)).toBe(200);
  outboundUrl = (
    await api.get<{ salesforceOutboundUrl: string }>(`/api/v1/connections/${connectionId}/hooks`)
  ).body.salesforceOutboundUrl;
  crm = await sf.jsforce();
  programId = await newProgram(api);
  await newReceiverSettings(api, {
    programId,
    connectionId,
    statusTriggers: [
      {
        object: 'Lead',
        field: 'Status',
        value: 'Open - Not Contacted',
        milestone: 'submitted',
        allowBackward: true,
      },
      { object: 'Lead', field: 'Status', value: 'Working - Contacted', milestone: 'qualified' },
      { object: 'Lead', field: 'Status', value: 'Closed - Converted', milestone: 'won' },
      { object: 'Lead', field: 'Status', value: 'Closed - Not Converted', milestone: 'lost' },
    ],
    targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
  });
});
afterAll(() => testApp.close());

/** One Lead status change in Salesforce: its notification ID and SystemModstamp. */
interface LeadEvent {
  notificationId: string;
  status: string;
  at: Date;
}

const OPEN = 'Open - Not Contacted';
const WORKING = 'Working - Contacted';
const CONVERTED = 'Closed - Converted';
const LOST = 'Closed - Not Converted';

let sequence = 0;
const notificationId = () => `04l${String(++sequence).padStart(12, '0')}AAA`;

/** A referral and the Lead that names it, as the CRM holds them. */
async function newLeadReferral(): Promise<{ referralId: string; leadId: string }> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const referral = await newReferral(api, {
    programId,
    email: `order.${suffix}@example.com`,
    lastName: 'Ortega',
  });
  const created = await crm.sobject('Lead').create({
    LastName: 'Ortega',
    Company: 'Ortega Orchards',
    Email: `order.${suffix}@example.com`,
    Refsync_Referral_Id__c: referral.id,
  });
  if (!created.success || !created.id) throw new Error(`lead: ${JSON.stringify(created)}`);
  return { referralId: referral.id, leadId: created.id };
}

/** The outbound message Salesforce sends for one Lead status change. */
function outboundMessage(leadId: string, event: LeadEvent): string {
  const fields = { Id: leadId, Status: event.status, SystemModstamp: event.at.toISOString() };
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
    `<OrganizationId>${sf.org.orgId}</OrganizationId><ActionId>04k000000000001AAA</ActionId>` +
    `<SessionId xsi:nil="true"/><Notification><Id>${event.notificationId}</Id>` +
    '<sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">' +
    Object.entries(fields)
      .map(([name, value]) => `<sf:${name}>${value}</sf:${name}>`)
      .join('') +
    '</sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>'
  );
}

/** Delivers one message over HTTP and waits until its entry has an outcome. */
async function deliver(leadId: string, event: LeadEvent): Promise<SalesEntry> {
  const response = await fetch(outboundUrl, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
    body: outboundMessage(leadId, event),
  });
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('<Ack>true</Ack>');
  const [entry] = await testApp.app.ctx.db
    .select({ id: salesEntries.id })
    .from(salesEntries)
    .where(
      and(
        eq(salesEntries.workspaceId, workspaceId),
        eq(salesEntries.dedupeKey, `sf:${event.notificationId}`),
      ),
    );
  if (!entry) throw new Error(`no entry for ${event.notificationId}`);
  return outcomeOf(api, entry.id);
}

/** Events at increasing SystemModstamps, one minute apart, in the CRM's order. */
function inCrmOrder(statuses: string[]): LeadEvent[] {
  const start = Date.parse('2026-03-02T09:00:00.000Z') + sequence * 3_600_000;
  return statuses.map((status, index) => ({
    notificationId: notificationId(),
    status,
    at: new Date(start + index * 60_000),
  }));
}

/** Fresh notification IDs for the same changes: a second scenario must not be deduplicated against the first. */
const renumbered = (events: LeadEvent[]) =>
  events.map((event) => ({ ...event, notificationId: notificationId() }));

/** What a user sees of the final state: the milestone and what the history did. */
function effectOf(referral: Referral) {
  const wonAt = referral.history.findIndex((change) => change.to === 'won');
  return {
    milestone: referral.milestone,
    timesWon: referral.history.filter((change) => change.to === 'won').length,
    changesAfterWon: wonAt < 0 ? 0 : referral.history.length - 1 - wonAt,
  };
}

async function run(statusesInOrder: LeadEvent[], deliveries: LeadEvent[]) {
  const { referralId, leadId } = await newLeadReferral();
  const outcomes: SalesEntry[] = [];
  for (const event of deliveries) outcomes.push(await deliver(leadId, event));
  expect(new Set(outcomes.map((entry) => entry.id)).size).toBe(statusesInOrder.length);
  return { referral: await referralOf(api, referralId), outcomes };
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

/** Each message delivered three times, as Salesforce retries do, in the given order. */
const thrice = (events: LeadEvent[]) => [...events, ...events, ...events];

describe('Salesforce outbound messages out of order', () => {
  it('Lost then Working, delivered newest first, ends lost as in order, not qualified', async () => {
    const events = inCrmOrder([LOST, WORKING]);
    const inOrder = await run(
      events,
      thrice(events).sort((a, b) => a.at.getTime() - b.at.getTime()),
    );
    expect(inOrder.referral.milestone).toBe('lost');

    const reversed = renumbered(events);
    const [lost, working] = reversed;
    if (!lost || !working) throw new Error('two events');
    const late = await run(reversed, [working, working, lost, working, lost, lost]);
    expect(late.referral.milestone).toBe('lost');
    expect(effectOf(late.referral)).toEqual(effectOf(inOrder.referral));
    const workingEntry = late.outcomes[0];
    const lostEntry = late.outcomes[2];
    expect(workingEntry?.status).toBe('success');
    expect(lostEntry?.status).toBe('success');
    expect(lostEntry?.reason).toContain(`entry ${workingEntry?.id}`);
    expect(lostEntry?.changes).toMatchObject({ milestone: { from: 'qualified', to: 'lost' } });
  });

  it('Working, Converted, Open (backward allowed) end won in every delivery order, won once', async () => {
    const events = inCrmOrder([WORKING, CONVERTED, OPEN]);
    const inOrder = await run(events, thrice(events));
    expect(effectOf(inOrder.referral)).toEqual({ milestone: 'won', timesWon: 1, changesAfterWon: 0 });

    for (const order of permutations([0, 1, 2])) {
      const fresh = renumbered(events);
      const shuffled = order.flatMap((index) => (fresh[index] ? [fresh[index]] : []));
      const delivered = await run(fresh, [...shuffled, ...[...shuffled].reverse(), ...shuffled]);
      const label = order.map((index) => events[index]?.status).join(' → ');
      expect(effectOf(delivered.referral), label).toEqual(effectOf(inOrder.referral));
    }
  }, 120_000);

  it('an older event arriving after a newer one is ignored, naming the newer entry and its time', async () => {
    const [working, open] = inCrmOrder([WORKING, OPEN]);
    if (!working || !open) throw new Error('two events');
    const { referralId, leadId } = await newLeadReferral();
    const newer = await deliver(leadId, open);
    expect(newer.status).toBe('success');
    const older = await deliver(leadId, working);
    expect(older).toMatchObject({
      status: 'ignored',
      reason: `a newer event from the CRM was already applied: entry ${newer.id} from ${open.at.toISOString()}`,
    });
    expect((await referralOf(api, referralId)).milestone).toBe('submitted');
  });

  it('a job that processes a late entry twice has one effect', async () => {
    const [lost, working] = inCrmOrder([LOST, WORKING]);
    if (!lost || !working) throw new Error('two events');
    const { referralId, leadId } = await newLeadReferral();
    await deliver(leadId, working);
    const late = await deliver(leadId, lost);
    expect(late.changes).toMatchObject({ milestone: { from: 'qualified', to: 'lost' } });
    // Run again by hand while its job is queued again: three runs race, one decides.
    const [retried] = await Promise.all([
      api.post('/api/v1/sales-entries/retry', { ids: [late.id] }),
      processEntry(testApp.app.ctx, workspaceId, late.id),
      processEntry(testApp.app.ctx, workspaceId, late.id),
    ]);
    expect(retried.status).toBe(202);
    await processEntry(testApp.app.ctx, workspaceId, late.id);
    await eventually(async () => {
      const entry = await api.get<SalesEntry>(`/api/v1/sales-entries/${late.id}`);
      return entry.body.attempts === 2 && entry.body.status !== 'received' ? entry.body : undefined;
    });
    const referral = await referralOf(api, referralId);
    expect(referral.milestone).toBe('lost');
    expect(referral.history.filter((change) => change.to === 'lost')).toHaveLength(1);
  });
});

describe('any delivery order of API entries with occurredAt', () => {
  const STAGES = { Open: 'submitted', Working: 'qualified', Won: 'won', Lost: 'lost' } as const;
  type Stage = keyof typeof STAGES;

  /** A small deterministic generator, so a failing case can be replayed from its seed. */
  function random(seed: number) {
    let state = seed >>> 0;
    return (below: number) => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
    };
  }

  interface DealEvent {
    index: number;
    stage: Stage;
    at: Date;
  }

  async function dealSettings(object: string, allowOverrideDenied: boolean): Promise<string> {
    const program = await newProgram(api);
    await newReceiverSettings(api, {
      programId: program,
      connectionId: null,
      allowOverrideDenied,
      statusTriggers: (Object.entries(STAGES) as Array<[Stage, string]>).map(([value, milestone]) => ({
        object,
        field: 'stage',
        value,
        milestone,
        ...(value === 'Open' ? { allowBackward: true } : {}),
      })),
      targetMatch: [{ object, field: 'refsyncId', matchOn: 'referralId' }],
      fieldUpdates: [{ object, field: 'company', target: 'referral.company' }],
      fuzzyMatch: false,
    });
    return program;
  }

  /** Sends the deliveries one after the other over the API; each new entry is waited for. */
  async function runDeals(program: string, object: string, run: string, deliveries: DealEvent[]) {
    const referral = await newReferral(api, { programId: program, email: `${run}@example.com` });
    const seen = new Set<string>();
    for (const event of deliveries) {
      const sent = await api.post<{ data: Array<{ id: string; duplicate: boolean }> }>(
        '/api/v1/sales-entries',
        {
          eventId: `${run}-${String(event.index).padStart(2, '0')}`,
          objectType: object,
          recordId: `deal-${run}`,
          fields: { stage: event.stage, refsyncId: referral.id, company: `Company ${event.index}` },
          occurredAt: event.at.toISOString(),
        },
      );
      expect(sent.status).toBe(202);
      const [saved] = sent.body.data;
      if (!saved) throw new Error('no entry');
      if (!seen.has(saved.id)) await outcomeOf(api, saved.id);
      seen.add(saved.id);
    }
    const after = await referralOf(api, referral.id);
    return { ...effectOf(after), company: after.company };
  }

  async function property(object: string, allowOverrideDenied: boolean, stages: Stage[], seed: number) {
    const program = await dealSettings(object, allowOverrideDenied);
    const next = random(seed);
    const base = Date.parse('2026-04-01T12:00:00.000Z');
    for (let round = 0; round < 6; round++) {
      const count = 3 + next(2);
      // Few distinct times, so some events share one: the tie-break decides between them.
      const events: DealEvent[] = Array.from({ length: count }, (_, index) => ({
        index,
        stage: stages[next(stages.length)] ?? 'Open',
        at: new Date(base + next(count) * 60_000),
      }));
      const inOrder = [...events].sort((a, b) => a.at.getTime() - b.at.getTime() || a.index - b.index);
      const deliveries = [...events, ...events, ...events];
      for (let i = deliveries.length - 1; i > 0; i--) {
        const j = next(i + 1);
        const swap = deliveries[i];
        const other = deliveries[j];
        if (swap && other) {
          deliveries[i] = other;
          deliveries[j] = swap;
        }
      }
      const tag = `${object}${seed}r${round}`;
      const expected = await runDeals(program, object, `${tag}a`, inOrder);
      const actual = await runDeals(program, object, `${tag}b`, deliveries);
      const described = deliveries
        .map((event) => `${event.index}:${event.stage}@${event.at.getUTCMinutes()}`)
        .join(' ');
      expect(actual, `seed ${seed} round ${round}: ${described}`).toEqual(expected);
    }
  }

  it('ends as the in-order run when denied referrals may be overridden', async () => {
    await property('deal', true, ['Open', 'Working', 'Won', 'Lost'], 20260301);
  }, 180_000);

  it('ends as the in-order run when denied referrals stay denied', async () => {
    await property('case', false, ['Open', 'Working', 'Lost'], 20260302);
  }, 180_000);
});
