import Fastify from 'fastify';
import { expect } from 'vitest';
import { CrmError } from '../../src/crm/errors.ts';
import { salesforceConnector } from '../../src/crm/salesforce/connector.ts';
import type {
  CrmSession,
  OAuthClient,
  ProviderEndpoints,
  TokenSet,
  WriteOutcome,
} from '../../src/crm/types.ts';
import { salesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';

/**
 * What the Salesforce connector's integration tests share: a server with only the
 * Salesforce sandbox on port 0, one org made through its admin API, and the consent flow
 * walked with fetch.
 */

export interface Org {
  orgId: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  userId: string;
}

export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/salesforce/callback';
export const keepDuplicateRules = { allowDuplicates: false };
const connector = salesforceConnector;

export interface SalesforceSandbox {
  /** Stands in for the login host and the org's instance alike. */
  base: string;
  org: Org;
  endpoints: ProviderEndpoints;
  client: OAuthClient;
  /** The tokens of the connection made at start, and its session. */
  tokens: TokenSet;
  session: CrmSession;
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Authorize, Allow on the consent page, exchange the code. */
  connect(): Promise<{ tokens: TokenSet; accountId: string; userId: string | undefined }>;
  /** API calls the org counted so far. */
  usage(): Promise<number>;
  clearFaults(): Promise<void>;
  close(): Promise<void>;
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

export async function startSalesforceSandbox(): Promise<SalesforceSandbox> {
  const app = Fastify({ logger: false });
  await app.register(salesforceSandbox, { prefix: '/sandbox/salesforce', store: memorySandboxStore() });
  const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/sandbox/salesforce`;
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}/_admin${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`admin ${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  const org = await admin<Org>('POST', '/orgs', { name: 'Connector test org' });
  const endpoints: ProviderEndpoints = { baseUrl: base, authorizeBaseUrl: base };
  const client: OAuthClient = {
    clientId: org.clientId,
    clientSecret: org.clientSecret,
    redirectUri: REDIRECT_URI,
  };
  const connect = async () => {
    const redirect = await consent(connector.authorizeUrl(endpoints, client, 'state-123'));
    expect(redirect.searchParams.get('state')).toBe('state-123');
    const code = redirect.searchParams.get('code') ?? '';
    const { tokens: issued, account } = await connector.exchangeCode(endpoints, client, code);
    return { tokens: issued, accountId: account.accountId, userId: account.userId };
  };
  const connected = await connect();
  return {
    base,
    org,
    endpoints,
    client,
    tokens: connected.tokens,
    session: {
      endpoints,
      accessToken: connected.tokens.accessToken,
      instanceUrl: connected.tokens.instanceUrl,
      accountId: connected.accountId,
    },
    admin,
    connect,
    usage: async () => {
      const view = await admin<{ usage: { count: number } }>('GET', `/orgs/${org.orgId}`);
      return view.usage.count;
    },
    clearFaults: async () => {
      await admin('DELETE', `/orgs/${org.orgId}/faults`);
    },
    close: () => app.close(),
  };
}

export function lead(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    FirstName: 'Ada',
    LastName: `Lovelace ${n}`,
    Company: 'Engines',
    Email: `ada.${n}@engines.test`,
    ...extra,
  };
}

export function idOf(outcome: WriteOutcome | undefined): string {
  if (!outcome?.ok) throw new Error(`expected a saved record, got ${JSON.stringify(outcome)}`);
  return outcome.id;
}

export async function failure(promise: Promise<unknown>): Promise<CrmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CrmError) return error;
    throw error;
  }
  throw new Error('expected a CrmError');
}
