import { and, eq } from 'drizzle-orm';
import type jsforce from 'jsforce';
import { expect } from 'vitest';
import { salesEntries } from '../../src/db/schema.ts';
import { sandboxPlugins } from '../../src/sandbox/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';
import { type ApiClient, startTestApp, type TestApp } from './app.ts';
import { SandboxSalesforce } from './crm.ts';

export interface HookUrls {
  salesforceOutboundUrl: string;
  transitionUrl: string;
  hubspotWebhookUrl: string;
}

export interface Delivery {
  notificationIds: string[];
  recordIds: string[];
  outcome: 'acked' | 'failed' | 'dropped';
  httpStatus: number | null;
  duplicate: boolean;
}

export interface SalesforceIngest {
  testApp: TestApp;
  api: ApiClient;
  workspaceId: string;
  sf: SandboxSalesforce;
  connectionId: string;
  hooks: HookUrls;
  crm: jsforce.Connection;
}

/** A sandbox org connected to a new workspace, sending outbound messages quickly. */
export async function startSalesforceIngest(): Promise<SalesforceIngest> {
  const testApp = await startTestApp({ plugins: sandboxPlugins(memorySandboxStore()) });
  const workspace = await testApp.newWorkspace();
  const api = workspace.api;
  const sf = await SandboxSalesforce.createOrg(testApp, { outbound: { timeScale: 0.002 } });
  const connectionId = await sf.connect(api);
  const hooks = (await api.get<HookUrls>(`/api/v1/connections/${connectionId}/hooks`)).body;
  const crm = await sf.jsforce();
  return { testApp, api, workspaceId: workspace.id, sf, connectionId, hooks, crm };
}

/** Entry and Lead shortcuts; `current` is read at call time, after setup. */
export function salesforceIngestTools(
  current: () => Pick<SalesforceIngest, 'testApp' | 'workspaceId' | 'crm'>,
) {
  const entriesOf = (recordId: string) =>
    current()
      .testApp.app.ctx.db.select()
      .from(salesEntries)
      .where(and(eq(salesEntries.workspaceId, current().workspaceId), eq(salesEntries.recordId, recordId)));

  const allEntries = () =>
    current()
      .testApp.app.ctx.db.select()
      .from(salesEntries)
      .where(eq(salesEntries.workspaceId, current().workspaceId));

  const newLead = async (fields: Record<string, unknown> = {}) => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const created = await current()
      .crm.sobject('Lead')
      .create({
        LastName: `Lovelace ${suffix}`,
        Company: 'Engines',
        Email: `ada.${suffix}@example.com`,
        ...fields,
      });
    if (!created.success || !created.id) throw new Error(`lead: ${JSON.stringify(created)}`);
    return created.id;
  };

  const setStatus = async (leadId: string, status: string) => {
    const updated = await current().crm.sobject('Lead').update({ Id: leadId, Status: status });
    expect(updated.success).toBe(true);
  };

  return { entriesOf, allEntries, newLead, setStatus };
}

export const deliveriesOf = async (org: SandboxSalesforce, recordId: string) =>
  (await org.admin<{ log: Delivery[] }>('GET', '/deliveries')).log.filter((entry) =>
    entry.recordIds.includes(recordId),
  );

/** A hand-made outbound message, for what the sandbox would never send. */
export function outboundMessage(
  orgId: string,
  notifications: Array<{ id: string; object?: string; fields: Record<string, string> }>,
): string {
  const items = notifications
    .map(
      (n) =>
        `<Notification><Id>${n.id}</Id><sObject xsi:type="sf:${n.object ?? 'Lead'}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
        Object.entries(n.fields)
          .map(([name, value]) => `<sf:${name}>${value}</sf:${name}>`)
          .join('') +
        '</sObject></Notification>',
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
    `<OrganizationId>${orgId}</OrganizationId><ActionId>04k000000000001AAA</ActionId>` +
    `<SessionId xsi:nil="true"/>${items}</notifications></soapenv:Body></soapenv:Envelope>`
  );
}

export const postSoap = async (url: string, body: string) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
    body,
  });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

export const notificationId = () => `04l${Math.random().toString(36).slice(2, 14).padEnd(12, '0')}AAA`;
