import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { CrmError } from '../../src/crm/errors.ts';
import { hubspotConnector } from '../../src/crm/hubspot/connector.ts';
import type {
  ConnectedAccount,
  CrmSession,
  OAuthClient,
  ProviderEndpoints,
  TokenSet,
} from '../../src/crm/types.ts';
import { hubspotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';

/**
 * What the connector's integration tests share: a server with only the HubSpot sandbox on
 * port 0, portals made through its admin API, and the consent flow walked with fetch.
 */

const PREFIX = '/sandbox/hubspot';
const REDIRECT_URI = 'http://127.0.0.1:9/oauth/hubspot/callback';

export interface Portal {
  portalId: number;
  accessToken: string;
  clientId: string;
  clientSecret: string;
}

export interface HubspotSandbox {
  /** Stands in for https://api.hubapi.com and https://app.hubspot.com alike. */
  base: string;
  endpoints: ProviderEndpoints;
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A portal; `settings` as `POST /_admin/portals` takes them (rate limit, token lifetime). */
  newPortal(settings?: Record<string, unknown>): Promise<Portal>;
  sessionOf(portal: Portal, accessToken?: string): CrmSession;
  oauthClientOf(portal: Portal): OAuthClient;
  /** Authorize, Allow on the consent page, exchange the code. */
  connect(portal: Portal): Promise<{ tokens: TokenSet; account: ConnectedAccount }>;
  close(): Promise<void>;
}

export async function startHubspotSandbox(): Promise<HubspotSandbox> {
  const app = Fastify({ logger: false });
  await app.register(hubspotSandbox, { prefix: PREFIX, store: memorySandboxStore() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}${PREFIX}`;
  const endpoints: ProviderEndpoints = { baseUrl: base, authorizeBaseUrl: base };

  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  const sessionOf = (portal: Portal, accessToken = portal.accessToken): CrmSession => ({
    endpoints,
    accessToken,
    instanceUrl: undefined,
    accountId: String(portal.portalId),
  });
  const oauthClientOf = (portal: Portal): OAuthClient => ({
    clientId: portal.clientId,
    clientSecret: portal.clientSecret,
    redirectUri: REDIRECT_URI,
  });

  return {
    base,
    endpoints,
    admin,
    newPortal: (settings = {}) => admin<Portal>('POST', '/_admin/portals', settings),
    sessionOf,
    oauthClientOf,
    async connect(portal) {
      const client = oauthClientOf(portal);
      const state = `state-${portal.portalId}`;
      const location = await consent(hubspotConnector.authorizeUrl(endpoints, client, state));
      if (location.searchParams.get('state') !== state) throw new Error(`consent: state lost in ${location}`);
      const code = location.searchParams.get('code');
      if (code === null) throw new Error(`consent: no code in ${location}`);
      return hubspotConnector.exchangeCode(endpoints, client, code);
    },
    close: () => app.close(),
  };
}

function decodeHtml(value: string): string {
  return value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** Opens the consent page, submits its form with Allow, and returns where it redirects. */
async function consent(url: string): Promise<URL> {
  const page = await fetch(url);
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}`);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(match[1] ?? '', decodeHtml(match[2] ?? ''));
  }
  form.set('decision', 'allow');
  const answer = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  const location = answer.headers.get('location');
  if (answer.status !== 302 || location === null) throw new Error(`consent answered ${answer.status}`);
  return new URL(location);
}

/** The CrmError a call fails with; anything else (or success) fails the test. */
export async function crmError(promise: Promise<unknown>): Promise<CrmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CrmError) return error;
    throw error;
  }
  throw new Error('expected a CrmError');
}

export function contact(index: number, tag: string): Record<string, unknown> {
  return {
    firstname: `First${index}`,
    lastname: `Last${index}`,
    email: `${tag}.${index}@example.com`,
    company: 'Acme',
  };
}
