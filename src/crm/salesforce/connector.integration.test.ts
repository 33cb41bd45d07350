import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  failure,
  type Org,
  REDIRECT_URI,
  type SalesforceSandbox,
  startSalesforceSandbox,
} from '../../../test/helpers/salesforce-connector.ts';
import type { CrmSession, OAuthClient, ProviderEndpoints, TokenSet } from '../types.ts';
import { salesforceConnector } from './connector.ts';

/**
 * The Salesforce connector against the Salesforce sandbox, through jsforce: the provider
 * facts, OAuth (consent page, code exchange, refresh) and field descriptions. Records and
 * call failures are in connector-records.integration.test.ts.
 */

const connector = salesforceConnector;

const connect = () => sandbox.connect();

let sandbox: SalesforceSandbox;
let base: string;
let org: Org;
let endpoints: ProviderEndpoints;
let client: OAuthClient;
let tokens: TokenSet;
let session: CrmSession;

beforeAll(async () => {
  sandbox = await startSalesforceSandbox();
  ({ base, org, endpoints, client, tokens, session } = sandbox);
});

afterAll(async () => {
  await sandbox?.close();
});

beforeEach(async () => {
  await sandbox.clearFaults();
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
