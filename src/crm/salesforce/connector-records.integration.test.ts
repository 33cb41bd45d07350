import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  failure,
  idOf,
  keepDuplicateRules,
  lead,
  type Org,
  type SalesforceSandbox,
  startSalesforceSandbox,
} from '../../../test/helpers/salesforce-connector.ts';
import type { CrmSession, OAuthClient, ProviderEndpoints, TokenSet } from '../types.ts';
import { createSalesforceConnector, salesforceConnector } from './connector.ts';

/**
 * The Salesforce connector's record calls against the Salesforce sandbox, through jsforce:
 * create, find, update and campaign membership in bulk, per-record refusals, and the call
 * failures (expired token, limits, outages). The call-failure tests read records the record
 * tests made, so they stay in this file, after them.
 */

const connector = salesforceConnector;

const usage = () => sandbox.usage();

let sandbox: SalesforceSandbox;
let org: Org;
let endpoints: ProviderEndpoints;
let client: OAuthClient;
let tokens: TokenSet;
let session: CrmSession;
const admin = <T>(method: string, path: string, body?: unknown) => sandbox.admin<T>(method, path, body);

beforeAll(async () => {
  sandbox = await startSalesforceSandbox();
  ({ org, endpoints, client, tokens, session } = sandbox);
  // The record tests write refsync's referral ID field, which a new org does not have.
  await connector.createField(session, 'Lead', {
    name: connector.systemFieldNames('Lead').referralId,
    label: 'Refsync referral ID',
    type: 'string',
  });
});

afterAll(async () => {
  await sandbox?.close();
});

beforeEach(async () => {
  await sandbox.clearFaults();
});

describe('Salesforce connector: records', () => {
  it('creates 250 Leads in two collection calls and finds them by e-mail', async () => {
    const records = Array.from({ length: 250 }, (_, n) =>
      lead(1000 + n, { Refsync_Referral_Id__c: `ref_${n}` }),
    );
    const calls = await usage();
    const outcomes = await connector.create(session, 'Lead', records, keepDuplicateRules);
    expect(await usage()).toBe(calls + 2);
    expect(outcomes).toHaveLength(250);
    expect(outcomes.every((o) => o.ok && o.id.startsWith('00Q'))).toBe(true);

    const emails = records.map((r) => String(r.Email).toUpperCase());
    const found = await connector.findBy(session, 'Lead', 'Email', emails, [
      'Refsync_Referral_Id__c',
      'LastName',
    ]);
    expect(found).toHaveLength(250);
    const first = found.find((r) => r.id === idOf(outcomes[0]));
    expect(first).toMatchObject({
      object: 'Lead',
      values: { Email: 'ada.1000@engines.test', Refsync_Referral_Id__c: 'ref_0', LastName: 'Lovelace 1000' },
      convertedContactId: undefined,
    });
    expect(first?.createdAt).toBeInstanceOf(Date);
    expect(Math.abs((first?.createdAt?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('follows nextRecordsUrl when a lookup spans several pages', async () => {
    const paged = createSalesforceConnector({ queryBatchSize: 200 });
    const calls = await usage();
    const found = await paged.findBy(session, 'Lead', 'Company', ['Engines'], ['Email']);
    expect(found.length).toBeGreaterThanOrEqual(250);
    expect(await usage()).toBe(calls + 2);
  });

  it('escapes values in lookups instead of letting them change the query', async () => {
    const tricky = "O'Brien \\' OR Email != '";
    const [saved] = await connector.create(
      session,
      'Lead',
      [lead(1, { LastName: tricky })],
      keepDuplicateRules,
    );
    const found = await connector.findBy(
      session,
      'Lead',
      'LastName',
      [tricky, "x' OR LastName != 'x"],
      ['LastName'],
    );
    expect(found.map((r) => r.id)).toEqual([idOf(saved)]);
    expect(found[0]?.values.LastName).toBe(tricky);
    const error = await failure(connector.findBy(session, 'Lead', 'Email FROM Lead --', ['a'], []));
    expect(error).toMatchObject({ kind: 'validation', crmCode: 'INVALID_FIELD' });
  });

  it('reports a duplicate e-mail per record, and creates it when duplicates are allowed', async () => {
    const [original] = await connector.create(session, 'Lead', [lead(2)], keepDuplicateRules);
    idOf(original);
    const [refused] = await connector.create(
      session,
      'Lead',
      [lead(2, { LastName: 'Again' })],
      keepDuplicateRules,
    );
    expect(refused).toMatchObject({
      ok: false,
      error: {
        kind: 'duplicate',
        crmCode: 'DUPLICATES_DETECTED',
        message: "You're creating a duplicate record. We recommend you use an existing record instead.",
      },
    });
    const [allowed] = await connector.create(session, 'Lead', [lead(2, { LastName: 'Again' })], {
      allowDuplicates: true,
    });
    expect(idOf(allowed)).not.toBe(idOf(original));
    const page = await fetch(connector.recordUrl(session, 'Lead', idOf(original)));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(idOf(original));
  });

  it('reports a missing Company on its record while the others of the call are saved', async () => {
    const outcomes = await connector.create(
      session,
      'Lead',
      [
        lead(3),
        lead(4, { Company: null }),
        lead(5),
        lead(6, { Nonexistent__c: 'x' }),
        lead(7, { Email: 'x'.repeat(81) }),
      ],
      keepDuplicateRules,
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, false, false]);
    expect(outcomes[1]).toMatchObject({
      ok: false,
      error: {
        kind: 'validation',
        crmCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [Company]',
      },
    });
    expect(outcomes[3]).toMatchObject({ ok: false, error: { kind: 'validation', crmCode: 'INVALID_FIELD' } });
    expect(outcomes[4]).toMatchObject({
      ok: false,
      error: { kind: 'validation', crmCode: 'STRING_TOO_LONG' },
    });
    const found = await connector.findBy(
      session,
      'Lead',
      'Email',
      ['ada.3@engines.test', 'ada.4@engines.test'],
      [],
    );
    expect(found.map((r) => r.values.Email)).toEqual(['ada.3@engines.test']);
  });

  it('updates records and reports a converted Lead as converted', async () => {
    const [first, second] = await connector.create(session, 'Lead', [lead(8), lead(9)], keepDuplicateRules);
    const converted = await admin<{ contactId: string }>(
      'POST',
      `/orgs/${org.orgId}/leads/${idOf(second)}/convert`,
      {
        doNotCreateOpportunity: true,
      },
    );
    const outcomes = await connector.update(session, 'Lead', [
      { id: idOf(first), values: { Phone: '+1 555 0100', Refsync_Referral_Id__c: 'ref_8' } },
      { id: idOf(second), values: { Phone: '+1 555 0101' } },
    ]);
    expect(outcomes[0]).toEqual({ ok: true, id: idOf(first) });
    expect(outcomes[1]).toMatchObject({
      ok: false,
      error: {
        kind: 'converted',
        crmCode: 'CANNOT_UPDATE_CONVERTED_LEAD',
        message: 'cannot reference converted lead',
      },
    });
    const found = await connector.findBy(
      session,
      'Lead',
      'Email',
      ['ada.8@engines.test', 'ada.9@engines.test'],
      ['Phone'],
    );
    const byEmail = new Map(found.map((r) => [r.values.Email, r]));
    expect(byEmail.get('ada.8@engines.test')).toMatchObject({
      values: { Phone: '+1 555 0100' },
      convertedContactId: undefined,
    });
    expect(byEmail.get('ada.9@engines.test')?.convertedContactId).toBe(converted.contactId);
    const contacts = await connector.findBy(session, 'Contact', 'Email', ['ada.9@engines.test'], []);
    expect(contacts.map((c) => c.id)).toEqual([converted.contactId]);
    expect(contacts[0]?.convertedContactId).toBeUndefined();
  });

  it('adds Leads and Contacts to a campaign, a second time answering the same membership', async () => {
    const [campaign] = await connector.create(
      session,
      'Campaign',
      [{ Name: 'Referral program' }],
      keepDuplicateRules,
    );
    const [leadOutcome] = await connector.create(session, 'Lead', [lead(10)], keepDuplicateRules);
    const [contactOutcome] = await connector.create(
      session,
      'Contact',
      [{ LastName: 'Babbage', Email: 'cb@engines.test' }],
      keepDuplicateRules,
    );
    const addToCampaign = connector.addToCampaign?.bind(connector);
    if (!addToCampaign) throw new Error('the Salesforce connector has campaigns');
    const member = await addToCampaign(session, idOf(campaign), 'Lead', idOf(leadOutcome));
    expect(idOf(member)).toMatch(/^00v/);
    expect(await addToCampaign(session, idOf(campaign), 'Lead', idOf(leadOutcome))).toEqual(member);
    const contactMember = await addToCampaign(session, idOf(campaign), 'Contact', idOf(contactOutcome));
    expect(idOf(contactMember)).not.toBe(idOf(member));
    const wrong = await addToCampaign(session, '701000000000000AAA', 'Lead', idOf(leadOutcome));
    expect(wrong).toMatchObject({
      ok: false,
      error: {
        kind: 'validation',
        crmCode: 'INVALID_CROSS_REFERENCE_KEY',
        message: 'invalid cross reference id',
      },
    });
  });
});

describe('Salesforce connector: call failures', () => {
  it('throws auth on an expired token, and works again after a refresh', async () => {
    await admin('POST', `/orgs/${org.orgId}/faults/expire-tokens`);
    const error = await failure(connector.findBy(session, 'Lead', 'Email', ['ada.2@engines.test'], []));
    expect(error).toMatchObject({
      kind: 'auth',
      crmCode: 'INVALID_SESSION_ID',
      status: 401,
      message: 'Session expired or invalid',
    });
    expect(error.retryable).toBe(true);
    const refreshed = await connector.refresh(endpoints, client, tokens.refreshToken ?? '');
    session = { ...session, accessToken: refreshed.accessToken };
    expect(await connector.findBy(session, 'Lead', 'Email', ['ada.2@engines.test'], [])).toHaveLength(2);
  });

  it('throws rate_limited with a long wait when the daily limit is spent', async () => {
    const used = await usage();
    await admin('PUT', `/orgs/${org.orgId}/limits`, { dailyApiRequests: used + 1 });
    try {
      // The first collection is saved; the second is refused: saved records keep their IDs.
      const outcomes = await connector.create(
        session,
        'Lead',
        Array.from({ length: 201 }, (_, n) => lead(3000 + n)),
        keepDuplicateRules,
      );
      expect(outcomes.slice(0, 200).every((o) => o.ok)).toBe(true);
      expect(outcomes[200]).toMatchObject({ ok: false, error: { kind: 'rate_limited' } });
      const error = await failure(connector.describe(session, 'Lead'));
      expect(error).toMatchObject({
        kind: 'rate_limited',
        crmCode: 'REQUEST_LIMIT_EXCEEDED',
        status: 403,
        retryAfterMs: 15 * 60_000,
        message: 'TotalRequests Limit exceeded.',
      });
    } finally {
      await admin('PUT', `/orgs/${org.orgId}/limits`, { dailyApiRequests: 15_000 });
    }
  });

  it('throws unavailable during an outage, at once and without retries inside jsforce', async () => {
    await admin('POST', `/orgs/${org.orgId}/faults/outage`, { seconds: 60 });
    try {
      const started = Date.now();
      const lookup = await failure(connector.findBy(session, 'Lead', 'Email', ['ada.2@engines.test'], []));
      expect(lookup).toMatchObject({ kind: 'unavailable', crmCode: 'SERVER_UNAVAILABLE', status: 503 });
      expect(Date.now() - started).toBeLessThan(1_000);
      const write = await failure(connector.create(session, 'Lead', [lead(11)], keepDuplicateRules));
      expect(write.kind).toBe('unavailable');
      const token = await failure(connector.refresh(endpoints, client, tokens.refreshToken ?? ''));
      expect(token).toMatchObject({ kind: 'unavailable', status: 503 });
    } finally {
      await admin('POST', `/orgs/${org.orgId}/faults/outage`, { seconds: 0 });
    }
    expect(await connector.findBy(session, 'Lead', 'Email', ['ada.2@engines.test'], [])).toHaveLength(2);
  });

  it('throws unavailable on a 500 and when nothing answers', async () => {
    await admin('PUT', `/orgs/${org.orgId}/faults`, { forcedFailures: 1, forcedStatus: 500 });
    const error = await failure(connector.describe(session, 'Lead'));
    expect(error).toMatchObject({ kind: 'unavailable', crmCode: 'UNKNOWN_EXCEPTION', status: 500 });

    const closed = Fastify();
    const address = await closed.listen({ host: '127.0.0.1', port: 0 });
    await closed.close();
    const nowhere: CrmSession = { ...session, instanceUrl: address };
    const refused = await failure(connector.describe(nowhere, 'Lead'));
    expect(refused).toMatchObject({ kind: 'unavailable', crmCode: 'ECONNREFUSED' });
    const slow = createSalesforceConnector({ requestTimeoutMs: 200 });
    await admin('PUT', `/orgs/${org.orgId}/faults`, { latencyMs: 1_000 });
    const timedOut = await failure(slow.describe(session, 'Lead'));
    expect(timedOut).toMatchObject({ kind: 'unavailable', crmCode: 'TIMEOUT' });
  });
});
