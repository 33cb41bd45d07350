import type { Client } from '@hubspot/api-client';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/deals/models/AssociationSpec.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, TestApp } from './helpers/app.ts';
import { SandboxHubspot } from './helpers/crm.ts';
import { connectionMetadata, startSandboxApp } from './helpers/crm-metadata.ts';
import { milestoneReached, newProgram, newReceiverSettings, newReferral } from './helpers/receiver.ts';
import { clientFor } from './helpers/sandbox-hubspot.ts';

/**
 * What the console's pickers read from a HubSpot portal (objects, enumeration options and
 * deal stages, records) and the sandbox wiring, against the sandbox portal through the real
 * connector; records are made with the official client.
 */

interface Subscription {
  subscriptionType: string;
  propertyName: string | null;
  active: boolean;
}

let testApp: TestApp;
let api: ApiClient;
let hs: SandboxHubspot;
let connectionId: string;
let client: Client;
let metadata: ReturnType<typeof connectionMetadata>;

beforeAll(async () => {
  testApp = await startSandboxApp();
  api = (await testApp.newWorkspace()).api;
  hs = await SandboxHubspot.createPortal(testApp);
  connectionId = await hs.connect(api);
  client = clientFor(SandboxHubspot.baseUrl(testApp), hs.portal.accessToken);
  metadata = connectionMetadata(api, connectionId);
});
afterAll(() => testApp.close());

const createContact = async (properties: Record<string, string>) =>
  (await client.crm.contacts.basicApi.create({ properties, associations: [] })).id;

describe('HubSpot objects, properties and campaigns', () => {
  it('lists contacts as pushable, companies and deals as objects receiver settings can name', async () => {
    expect(await metadata.objects()).toEqual([
      { name: 'contacts', label: 'Contacts', pushable: true, triggerable: true },
      { name: 'companies', label: 'Companies', pushable: false, triggerable: true },
      { name: 'deals', label: 'Deals', pushable: false, triggerable: true },
    ]);
  });

  it("gives dealstage the pipelines' stages with their labels and pipeline, and enumerations their options", async () => {
    const stage = (await metadata.fields('deals')).find((field) => field.name === 'dealstage');
    expect(stage?.options?.[0]).toEqual({
      value: 'appointmentscheduled',
      label: 'Appointment Scheduled',
      group: 'Sales Pipeline',
    });
    expect(stage?.options).toContainEqual({
      value: 'closedwon',
      label: 'Closed Won',
      group: 'Sales Pipeline',
    });
    expect(stage?.options?.map((option) => option.value)).toHaveLength(7);

    const contacts = await metadata.fields('contacts');
    const leadStatus = contacts.find((field) => field.name === 'hs_lead_status');
    expect(leadStatus?.options?.map((option) => option.value)).toContain('IN_PROGRESS');
    expect(contacts.find((field) => field.name === 'email')?.options).toBeUndefined();
  });

  it('answers an empty campaign list: refsync adds HubSpot contacts to no campaign', async () => {
    expect(await metadata.campaigns('spring')).toEqual([]);
    expect(await metadata.campaigns()).toEqual([]);
  });
});

describe('HubSpot record search', () => {
  it('finds a contact by an email holding a quote, by name and by ID', async () => {
    const email = "aoife.o'neil@quote.example";
    const id = await createContact({ email, firstname: 'Aoife', lastname: "O'Neil" });
    await createContact({ email: 'someone.else@quote.example', firstname: 'Someone' });
    const search = metadata.records;
    const found = await search({ object: 'contacts', q: email.toUpperCase() });
    expect(found).toEqual([
      { object: 'contacts', id, label: "Aoife O'Neil", email, url: expect.stringContaining('/_ui/portals/') },
    ]);
    expect((await search({ object: 'contact', q: 'aoife' })).map((record) => record.id)).toEqual([id]);
    expect((await search({ q: id })).map((record) => record.id)).toEqual([id]);
    expect(await search({ object: 'contacts', q: "' OR email != '" })).toEqual([]);
    expect(await search({ object: 'contacts', q: 'nobody@quote.example' })).toEqual([]);

    const unknown = await api.get<{ error: { details: Array<{ field: string }> } }>(
      `/api/v1/connections/${connectionId}/records?object=Lead&q=x`,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.map((detail) => detail.field)).toEqual(['object']);
  });
});

describe('HubSpot sandbox wiring', () => {
  it('sets the webhook target and subscribes to the trigger property once; a deal won in the portal then approves the referral', async () => {
    const programId = await newProgram(api);
    await newReceiverSettings(api, {
      programId,
      connectionId,
      statusTriggers: [{ object: 'deal', field: 'dealstage', value: 'closedwon', milestone: 'won' }],
    });
    const first = await metadata.wire();
    expect(first.wired).toEqual([
      expect.objectContaining({ object: 'app', kind: 'webhook_subscription' }),
      expect.objectContaining({ object: 'deals', kind: 'webhook_subscription' }),
    ]);
    const hooks = await api.get<{ hubspotWebhookUrl: string }>(`/api/v1/connections/${connectionId}/hooks`);
    const settings = await hs.admin<{ targetUrl: string }>('GET', '/webhooks');
    expect(settings.targetUrl).toBe(hooks.body.hubspotWebhookUrl);
    const subscriptions = await hs.admin<{ results: Subscription[] }>('GET', '/webhooks/subscriptions');
    expect(subscriptions.results).toEqual([
      expect.objectContaining({
        subscriptionType: 'deal.propertyChange',
        propertyName: 'dealstage',
        active: true,
      }),
    ]);

    const again = await metadata.wire();
    expect(again.wired).toEqual([]);
    expect(again.unchanged).toHaveLength(2);
    expect(again.message).toContain('Nothing new');

    const email = `won.${Math.random().toString(36).slice(2, 8)}@hubspot.example`;
    const referral = await newReferral(api, { programId, email });
    const contact = await createContact({ email, firstname: 'Winnie' });
    const deal = await client.crm.deals.basicApi.create({
      properties: { dealname: 'Winnie deal', pipeline: 'default', dealstage: 'appointmentscheduled' },
      associations: [
        {
          to: { id: contact },
          types: [
            {
              associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
              associationTypeId: 3,
            },
          ],
        },
      ],
    });
    await client.crm.deals.basicApi.update(deal.id, { properties: { dealstage: 'closedwon' } });
    const after = await milestoneReached(api, referral.id, 'won');
    expect(after.history.at(-1)).toMatchObject({ to: 'won', actor: `crm:${connectionId}` });
    const entries = await api.get<{ data: Array<{ source: string; status: string }> }>(
      `/api/v1/sales-entries?referralId=${referral.id}&source=hubspot_webhook`,
    );
    expect(entries.body.data).toContainEqual(expect.objectContaining({ status: 'success' }));
  });

  it('re-activates a paused subscription', async () => {
    const subscriptions = await hs.admin<{ results: Array<Subscription & { id: number }> }>(
      'GET',
      '/webhooks/subscriptions',
    );
    const stage = subscriptions.results.find((one) => one.propertyName === 'dealstage');
    await hs.admin('PATCH', `/webhooks/subscriptions/${stage?.id}`, { active: false });
    const wiring = await metadata.wire({ object: 'deals' });
    expect(wiring.wired).toEqual([
      expect.objectContaining({ object: 'deals', detail: expect.stringContaining('active again') }),
    ]);
    const after = await hs.admin<{ results: Subscription[] }>('GET', '/webhooks/subscriptions');
    expect(after.results.every((one) => one.active)).toBe(true);
  });
});
