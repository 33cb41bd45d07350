import { eq } from 'drizzle-orm';
import jsforce from 'jsforce';
import { connections } from '../../src/db/schema.ts';
import type { ApiClient, TestApp } from './app.ts';

/** Follows a sandbox CRM's consent page the way a person would: open it, press Allow. */
export async function consent(
  authorizeUrl: string,
): Promise<{ status: number; body: string; callbackUrl: string }> {
  const pageResponse = await fetch(authorizeUrl);
  const html = await pageResponse.text();
  if (pageResponse.status !== 200) throw new Error(`consent page answered ${pageResponse.status}: ${html}`);
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    const [, name, value] = match;
    if (name) form.set(name, decodeEntities(value ?? ''));
  }
  form.set('decision', 'allow');
  const decision = await fetch(authorizeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  const location = decision.headers.get('location');
  if (decision.status !== 302 || !location) {
    throw new Error(`consent answered ${decision.status}: ${await decision.text()}`);
  }
  const callback = await fetch(location);
  return { status: callback.status, body: await callback.text(), callbackUrl: location };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export interface SalesforceOrg {
  orgId: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

export interface HubspotPortal {
  portalId: string;
  accessToken: string;
  appId: string;
  clientId: string;
  clientSecret: string;
}

async function admin<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export class SandboxSalesforce {
  constructor(
    readonly testApp: TestApp,
    readonly org: SalesforceOrg,
  ) {}

  static baseUrl(testApp: TestApp): string {
    return `${testApp.url}/sandbox/salesforce`;
  }

  static async createOrg(testApp: TestApp, body: Record<string, unknown> = {}): Promise<SandboxSalesforce> {
    const org = await admin<SalesforceOrg>(`${SandboxSalesforce.baseUrl(testApp)}/_admin/orgs`, 'POST', body);
    return new SandboxSalesforce(testApp, org);
  }

  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return admin<T>(
      `${SandboxSalesforce.baseUrl(this.testApp)}/_admin/orgs/${this.org.orgId}${path}`,
      method,
      body,
    );
  }

  /** A jsforce connection logged in as the org's user, to look at and change records directly. */
  async jsforce(): Promise<jsforce.Connection> {
    const connection = new jsforce.Connection({
      oauth2: {
        loginUrl: SandboxSalesforce.baseUrl(this.testApp),
        clientId: this.org.clientId,
        clientSecret: this.org.clientSecret,
      },
      version: '62.0',
    });
    await connection.login(this.org.username, this.org.password);
    return connection;
  }

  /**
   * Makes the org refuse a connection's tokens, as when an admin revokes the app: its refresh
   * token is revoked and every access token expires, so the next call needs a reconnect.
   */
  async revokeTokensOf(connectionId: string): Promise<void> {
    const { db, secrets } = this.testApp.app.ctx;
    const [row] = await db.select().from(connections).where(eq(connections.id, connectionId));
    const revoked = await fetch(`${SandboxSalesforce.baseUrl(this.testApp)}/services/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: secrets.open(row?.refreshTokenSealed ?? '') }).toString(),
    });
    if (revoked.status !== 200)
      throw new Error(`revoking answered ${revoked.status}: ${await revoked.text()}`);
    await this.admin('POST', '/faults/expire-tokens');
  }

  /** Connects it to the workspace of `api` through the real OAuth flow. Returns the connection ID. */
  async connect(api: ApiClient): Promise<string> {
    const created = await api.post<{ connection: { id: string }; authorizeUrl: string }>(
      '/api/v1/connections',
      {
        provider: 'salesforce',
        clientId: this.org.clientId,
        clientSecret: this.org.clientSecret,
        baseUrl: SandboxSalesforce.baseUrl(this.testApp),
      },
    );
    if (created.status !== 201) throw new Error(`connection: ${JSON.stringify(created.body)}`);
    const result = await consent(created.body.authorizeUrl);
    if (result.status !== 200) throw new Error(`callback: ${result.body}`);
    return created.body.connection.id;
  }
}

export class SandboxHubspot {
  constructor(
    readonly testApp: TestApp,
    readonly portal: HubspotPortal,
  ) {}

  static baseUrl(testApp: TestApp): string {
    return `${testApp.url}/sandbox/hubspot`;
  }

  static async createPortal(testApp: TestApp, body: Record<string, unknown> = {}): Promise<SandboxHubspot> {
    const portal = await admin<HubspotPortal>(
      `${SandboxHubspot.baseUrl(testApp)}/_admin/portals`,
      'POST',
      body,
    );
    return new SandboxHubspot(testApp, portal);
  }

  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return admin<T>(
      `${SandboxHubspot.baseUrl(this.testApp)}/_admin/portals/${this.portal.portalId}${path}`,
      method,
      body,
    );
  }

  /** The portal's CRM API with its private-app token, as the portal's own integrations call it. */
  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${SandboxHubspot.baseUrl(this.testApp)}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.portal.accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async connect(api: ApiClient): Promise<string> {
    const created = await api.post<{ connection: { id: string }; authorizeUrl: string }>(
      '/api/v1/connections',
      {
        provider: 'hubspot',
        clientId: this.portal.clientId,
        clientSecret: this.portal.clientSecret,
        baseUrl: SandboxHubspot.baseUrl(this.testApp),
      },
    );
    if (created.status !== 201) throw new Error(`connection: ${JSON.stringify(created.body)}`);
    const result = await consent(created.body.authorizeUrl);
    if (result.status !== 200) throw new Error(`callback: ${result.body}`);
    return created.body.connection.id;
  }
}

/** A HubSpot portal connected, its system properties made, and a program pushing referrals to contacts. */
export async function hubspotPushProgram(testApp: TestApp, api: ApiClient, name: string) {
  const hs = await SandboxHubspot.createPortal(testApp);
  const connectionId = await hs.connect(api);
  await api.post(`/api/v1/connections/${connectionId}/fields`, { object: 'contacts' });
  const programId = (await api.post<{ id: string }>('/api/v1/programs', { name })).body.id;
  const settings = await api.post<{ id: string }>('/api/v1/push-settings', {
    programId,
    connectionId,
    crmObject: 'contacts',
  });
  if (settings.status !== 201) throw new Error(`push settings: ${JSON.stringify(settings.body)}`);
  return { hs, connectionId, programId, settingsId: settings.body.id };
}
