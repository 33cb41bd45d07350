import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { salesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { memorySandboxStore } from '../../sandbox/store.ts';
import { CrmError } from '../errors.ts';
import type { CrmSession, OAuthClient, ProviderEndpoints, TokenSet, WriteOutcome } from '../types.ts';
import { createSalesforceConnector, salesforceConnector } from './connector.ts';

interface Org {
  orgId: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  userId: string;
}

const REDIRECT_URI = 'http://127.0.0.1:9/oauth/salesforce/callback';
const connector = salesforceConnector;
const keepDuplicateRules = { allowDuplicates: false };

let app: FastifyInstance;
let base: string;
let org: Org;
let endpoints: ProviderEndpoints;
let client: OAuthClient;
let tokens: TokenSet;
let session: CrmSession;

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}/_admin${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`admin ${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** What a person does: open the consent page, press Allow, land on the redirect URI. */
async function consent(authorizeUrl: string): Promise<URL> {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const input of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(input[1] ?? '', unescapeHtml(input[2] ?? ''));
  }
  form.set('decision', 'allow');
  const answer = await fetch(authorizeUrl.split('?')[0] ?? authorizeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location') ?? '');
}

async function connect(): Promise<{ tokens: TokenSet; accountId: string; userId: string | undefined }> {
  const redirect = await consent(connector.authorizeUrl(endpoints, client, 'state-123'));
  expect(redirect.searchParams.get('state')).toBe('state-123');
  const code = redirect.searchParams.get('code') ?? '';
  const { tokens: issued, account } = await connector.exchangeCode(endpoints, client, code);
  return { tokens: issued, accountId: account.accountId, userId: account.userId };
}

function lead(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    FirstName: 'Ada',
    LastName: `Lovelace ${n}`,
    Company: 'Engines',
    Email: `ada.${n}@engines.test`,
    ...extra,
  };
}

function idOf(outcome: WriteOutcome | undefined): string {
  if (!outcome?.ok) throw new Error(`expected a saved record, got ${JSON.stringify(outcome)}`);
  return outcome.id;
}

async function failure(promise: Promise<unknown>): Promise<CrmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CrmError) return error;
    throw error;
  }
  throw new Error('expected a CrmError');
}

async function usage(): Promise<number> {
  const view = await admin<{ usage: { count: number } }>('GET', `/orgs/${org.orgId}`);
  return view.usage.count;
}

beforeAll(async () => {
  app = Fastify({ logger: false });
  await app.register(salesforceSandbox, { prefix: '/sandbox/salesforce', store: memorySandboxStore() });
  base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/sandbox/salesforce`;
  org = await admin<Org>('POST', '/orgs', { name: 'Connector test org' });
  endpoints = { baseUrl: base, authorizeBaseUrl: base };
  client = { clientId: org.clientId, clientSecret: org.clientSecret, redirectUri: REDIRECT_URI };
  const connected = await connect();
  tokens = connected.tokens;
  session = {
    endpoints,
    accessToken: tokens.accessToken,
    instanceUrl: tokens.instanceUrl,
    accountId: connected.accountId,
  };
});

afterAll(async () => {
  await app?.close();
});

beforeEach(async () => {
  await admin('DELETE', `/orgs/${org.orgId}/faults`);
});

describe('Salesforce connector: provider facts', () => {
  it('defaults to the real login host and asks for api and refresh_token', () => {
    expect(connector.defaultEndpoints).toEqual({
      baseUrl: 'https://login.salesforce.com',
      authorizeBaseUrl: 'https://login.salesforce.com',
    });
    const url = new URL(connector.authorizeUrl(connector.defaultEndpoints, client, 'abc'));
    expect(`${url.origin}${url.pathname}`).toBe('https://login.salesforce.com/services/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: org.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'api refresh_token',
      state: 'abc',
    });
    expect(connector.pushObjects).toEqual(['Lead', 'Contact']);
    expect(connector.batchSize).toBe(200);
    expect(connector.standardMappings('Lead').map((m) => m.crmField)).toEqual([
      'FirstName',
      'LastName',
      'Email',
      'Company',
      'Phone',
    ]);
    expect(connector.standardMappings('Contact')).not.toContainEqual(
      expect.objectContaining({ crmField: 'Company' }),
    );
    expect(connector.systemFieldNames('Lead').referralId).toBe('Refsync_Referral_Id__c');
  });

  it('links records to Lightning on real orgs and to the sandbox page here', () => {
    const real: CrmSession = { ...session, instanceUrl: 'https://acme.my.salesforce.com' };
    expect(connector.recordUrl(real, 'Lead', '00Q000000000001AAA')).toBe(
      'https://acme.my.salesforce.com/lightning/r/Lead/00Q000000000001AAA/view',
    );
    expect(connector.recordUrl(session, 'Lead', '00Q000000000001AAA')).toBe(
      `${base}/_ui/orgs/${org.orgId}?object=Lead#00Q000000000001AAA`,
    );
    expect(connector.recordUrl(session, 'CampaignMember', '00v000000000001AAA')).toBe(
      `${base}/services/data/v62.0/sobjects/CampaignMember/00v000000000001AAA`,
    );
  });
});

describe('Salesforce connector: OAuth', () => {
  it('connects through the consent page and reads the org from the identity URL', async () => {
    const before = Date.now();
    const connected = await connect();
    expect(connected.accountId).toBe(org.orgId);
    expect(connected.userId).toBe(org.userId);
    expect(connected.tokens.instanceUrl).toBe(base);
    expect(connected.tokens.refreshToken).toMatch(/\S+/);
    const expiresIn = (connected.tokens.expiresAt?.getTime() ?? 0) - before;
    expect(expiresIn).toBeGreaterThan(2 * 3600_000 - 5_000);
    expect(expiresIn).toBeLessThan(2 * 3600_000 + 5_000);
  });

  it('refreshes, keeping the refresh token Salesforce does not rotate', async () => {
    const refreshToken = tokens.refreshToken ?? '';
    const refreshed = await connector.refresh(endpoints, client, refreshToken);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toBe(refreshToken);
    expect(refreshed.instanceUrl).toBe(base);
    const fields = await connector.describe({ ...session, accessToken: refreshed.accessToken }, 'Contact');
    expect(fields.length).toBeGreaterThan(0);
  });

  it('reports a bad code or refresh token as auth, with the CRM message', async () => {
    const badCode = await failure(connector.exchangeCode(endpoints, client, 'no-such-code'));
    expect(badCode).toMatchObject({
      kind: 'auth',
      crmCode: 'invalid_grant',
      message: 'invalid authorization code',
    });
    const badRefresh = await failure(connector.refresh(endpoints, client, 'no-such-token'));
    expect(badRefresh).toMatchObject({
      kind: 'auth',
      crmCode: 'invalid_grant',
      message: 'expired access/refresh token',
    });
  });
});

describe('Salesforce connector: fields', () => {
  it('describes Lead with LastName and Company required', async () => {
    const fields = await connector.describe(session, 'Lead');
    const byName = new Map(fields.map((f) => [f.name, f]));
    expect(byName.get('LastName')).toMatchObject({
      required: true,
      type: 'string',
      createable: true,
      custom: false,
    });
    expect(byName.get('Company')).toMatchObject({ required: true });
    expect(byName.get('Email')).toMatchObject({ required: false, type: 'email' });
    expect(byName.get('Id')).toMatchObject({ required: false, type: 'id', createable: false });
    expect(byName.get('IsConverted')).toMatchObject({ required: false, type: 'boolean' });
    expect(byName.get('ConvertedContactId')).toMatchObject({ type: 'reference' });
    expect(fields.filter((f) => f.required).map((f) => f.name)).toEqual(['LastName', 'Company']);
    const contact = await connector.describe(session, 'Contact');
    expect(contact.filter((f) => f.required).map((f) => f.name)).toEqual(['LastName']);
  });

  it('creates custom fields through the Tooling API, once', async () => {
    const names = connector.systemFieldNames('Lead');
    await connector.createField(session, 'Lead', {
      name: names.referralId,
      label: 'Refsync referral ID',
      type: 'string',
    });
    await connector.createField(session, 'Lead', {
      name: 'Refsync_Source_Note',
      label: 'Source note',
      type: 'textarea',
    });
    await connector.createField(session, 'Lead', {
      name: names.referralUrl,
      label: 'Referral link',
      type: 'url',
    });
    // Creating it again (an answer lost, an action run twice) is not an error.
    await connector.createField(session, 'Lead', {
      name: names.referralId,
      label: 'Refsync referral ID',
      type: 'string',
    });
    const fields = await connector.describe(session, 'Lead');
    expect(fields.filter((f) => f.custom)).toEqual([
      {
        name: 'Refsync_Referral_Id__c',
        label: 'Refsync referral ID',
        type: 'string',
        required: false,
        createable: true,
        updateable: true,
        custom: true,
      },
      expect.objectContaining({ name: 'Refsync_Source_Note__c', type: 'textarea' }),
      expect.objectContaining({ name: 'Refsync_Referral_Url__c', type: 'url' }),
    ]);
  });

  it('answers not_found for an object the org does not have', async () => {
    const error = await failure(connector.describe(session, 'Nope__c'));
    expect(error.kind).toBe('not_found');
  });
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
