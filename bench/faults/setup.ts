import type { ApiClient } from '../../test/helpers/app.ts';
import { consent } from '../../test/helpers/crm.ts';
import { type PaymentWiring, wirePayments } from './payments.ts';

/**
 * A workspace wired the way a user wires it, through the API and the sandboxes' admin APIs
 * only: a program whose `won` pays the referrer a Stripe credit and the friend a Tremendous
 * gift card, a Salesforce org and a HubSpot portal connected through OAuth, pushes of every
 * referral to both, and receiver settings for both CRMs and for API entries.
 */

export interface Crms {
  /** `http://127.0.0.1:N/sandbox/salesforce` and `/sandbox/hubspot` of the sandbox process. */
  salesforceBase: string;
  hubspotBase: string;
  /** `http://127.0.0.1:N`: the payment sandboxes (Stripe's API at `/v1`, Tremendous under `/sandbox/tremendous`). */
  sandboxRoot: string;
}

export interface Wiring {
  programId: string;
  memberIds: string[];
  org: { orgId: string; clientId: string; clientSecret: string; username: string; password: string };
  portal: { portalId: number; appId: number; clientId: string; clientSecret: string; accessToken: string };
  salesforceId: string;
  hubspotId: string;
  salesforceHookPath: string;
  payments: PaymentWiring;
}

export async function adminCall<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function ok<T>(answer: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const { status, body } = await answer;
  if (status >= 300) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body;
}

async function connect(api: ApiClient, provider: string, credentials: object, baseUrl: string) {
  const created = await ok(
    api.post<{ connection: { id: string }; authorizeUrl: string }>('/api/v1/connections', {
      provider,
      ...credentials,
      baseUrl,
    }),
    `${provider} connection`,
  );
  const callback = await consent(created.authorizeUrl);
  if (callback.status !== 200) throw new Error(`${provider} callback: ${callback.body}`);
  return created.connection.id;
}

export async function wire(api: ApiClient, crms: Crms, members: number): Promise<Wiring> {
  const org = await adminCall<Wiring['org']>(`${crms.salesforceBase}/_admin/orgs`, 'POST', {
    name: 'Faults',
    limits: { dailyApiRequests: 10_000_000 },
  });
  const portal = await adminCall<Wiring['portal']>(`${crms.hubspotBase}/_admin/portals`, 'POST', {
    name: 'Faults',
    rateLimitMax: 1000,
    dailyLimit: 100_000_000,
  });
  const program = await ok(api.post<{ id: string }>('/api/v1/programs', { name: 'Faults' }), 'program');
  const salesforceId = await connect(
    api,
    'salesforce',
    { clientId: org.clientId, clientSecret: org.clientSecret },
    crms.salesforceBase,
  );
  const hubspotId = await connect(
    api,
    'hubspot',
    { clientId: portal.clientId, clientSecret: portal.clientSecret },
    crms.hubspotBase,
  );
  await ok(api.post(`/api/v1/connections/${salesforceId}/fields`, { object: 'Lead' }), 'Lead fields');
  await ok(api.post(`/api/v1/connections/${hubspotId}/fields`, { object: 'contacts' }), 'contact fields');
  for (const [connectionId, crmObject] of [
    [salesforceId, 'Lead'],
    [hubspotId, 'contacts'],
  ] as const) {
    await ok(
      api.post('/api/v1/push-settings', { programId: program.id, connectionId, crmObject }),
      `push to ${crmObject}`,
    );
  }
  const trigger = (object: string, field: string, value: string, milestone: string) => ({
    object,
    field,
    value,
    milestone,
  });
  const receivers = [
    {
      connectionId: salesforceId,
      statusTriggers: [
        trigger('Lead', 'Status', 'Working - Contacted', 'qualified'),
        trigger('Lead', 'Status', 'Closed - Converted', 'won'),
      ],
      targetMatch: [{ object: 'Lead', field: 'Refsync_Referral_Id__c', matchOn: 'referralId' }],
    },
    {
      connectionId: hubspotId,
      statusTriggers: [
        trigger('contacts', 'lifecyclestage', 'salesqualifiedlead', 'qualified'),
        trigger('contacts', 'lifecyclestage', 'customer', 'won'),
      ],
      targetMatch: [{ object: 'contacts', field: 'refsync_referral_id', matchOn: 'referralId' }],
    },
    // API entries name their referral in a field: no target match rule needed.
    {
      connectionId: null,
      statusTriggers: [
        trigger('order', 'stage', 'Qualified', 'qualified'),
        trigger('order', 'stage', 'Won', 'won'),
      ],
    },
  ];
  for (const settings of receivers) {
    await ok(
      api.post('/api/v1/receiver-settings', { programId: program.id, ...settings }),
      'receiver settings',
    );
  }
  const emails = Array.from({ length: members }, (_, index) => `member${index}@faults.test`);
  // refsync finds each referrer's Stripe customer by email.
  const payments = await wirePayments(api, crms.sandboxRoot, program.id, emails);
  const memberIds: string[] = [];
  for (const email of emails) {
    const member = await ok(
      api.post<{ id: string }>('/api/v1/members', { programId: program.id, email }),
      'member',
    );
    memberIds.push(member.id);
  }
  const hooks = await ok(
    api.get<{ salesforceOutboundUrl: string }>(`/api/v1/connections/${salesforceId}/hooks`),
    'hook URLs',
  );
  return {
    programId: program.id,
    memberIds,
    org,
    portal,
    salesforceId,
    hubspotId,
    salesforceHookPath: new URL(hooks.salesforceOutboundUrl).pathname,
    payments,
  };
}
