import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminCall,
  clientFor,
  createPortal,
  type Listener,
  PREFIX,
  type RunningSandbox,
  startListener,
  startSandbox,
} from '../../../test/helpers/sandbox-hubspot.ts';

let sandbox: RunningSandbox;
let listener: Listener;

beforeAll(async () => {
  sandbox = await startSandbox();
  listener = await startListener();
});

afterAll(async () => {
  await sandbox.close();
  await listener.close();
});

function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

describe('web page', () => {
  it('lists portals and records with escaped values', async () => {
    const portal = await createPortal(sandbox.baseUrl, { name: 'Shop <One>' });
    const client = clientFor(sandbox.baseUrl, portal.accessToken);
    await client.crm.contacts.basicApi.create({
      properties: { email: 'x@ui.example', firstname: '<script>alert(1)</script>' },
      associations: [],
    });
    const home = await fetch(`${sandbox.baseUrl}/`);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    const homeHtml = await home.text();
    expect(homeHtml).toContain('Shop &lt;One&gt;');
    expect(homeHtml).toContain(`${PREFIX}/_ui/portals/${portal.portalId}`);

    const contacts = await (
      await fetch(`${sandbox.baseUrl}/_ui/portals/${portal.portalId}?type=contacts`)
    ).text();
    expect(contacts).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(contacts).not.toContain('<script>alert(1)');
  });

  it('creates a portal from the page and shows its credentials once', async () => {
    const created = await postForm(`${sandbox.baseUrl}/_ui/portals`, { name: 'From the page' });
    expect(created.status).toBe(201);
    const createdHtml = await created.text();
    const link = createdHtml.match(new RegExp(`href="(${PREFIX}/_ui/portals/(\\d+))"`));
    const portalId = link?.[2] ?? '';
    expect(portalId).toMatch(/^\d+$/);
    const accessToken = createdHtml.match(/pat-na1-[0-9a-f-]+/)?.[0] ?? '';
    const clientSecret = createdHtml.match(/<th>OAuth client secret<\/th><td><code>([^<]+)</)?.[1] ?? '';
    expect(clientSecret).not.toBe('');
    // The token shown is the portal's own.
    const read = await fetch(`${sandbox.baseUrl}/crm/v3/objects/contacts`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(read.status).toBe(200);
    const details = await adminCall<{ name: string }>(sandbox.baseUrl, 'GET', `/_admin/portals/${portalId}`);
    expect(details.name).toBe('From the page');
    const shown = await (await fetch(`${sandbox.baseUrl}/_ui/portals/${portalId}`)).text();
    expect(shown).toContain('From the page');
    expect(shown).not.toContain(accessToken);
    expect(shown).not.toContain(clientSecret);
  });

  it('edits a contact property and moves a deal stage, firing the same webhooks as the API', async () => {
    const portal = await createPortal(sandbox.baseUrl);
    await adminCall(sandbox.baseUrl, 'PUT', `/_admin/portals/${portal.portalId}/webhooks`, {
      targetUrl: listener.url,
      gatherMs: 0,
    });
    await adminCall(sandbox.baseUrl, 'POST', `/_admin/portals/${portal.portalId}/webhooks/subscriptions`, {
      subscriptionType: 'deal.propertyChange',
      propertyName: 'dealstage',
    });
    const client = clientFor(sandbox.baseUrl, portal.accessToken);
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'edit@ui.example' },
      associations: [],
    });
    const deal = await client.crm.deals.basicApi.create({
      properties: { dealname: 'UI deal', dealstage: 'qualifiedtobuy' },
      associations: [],
    });
    await listener.waitFor((received) =>
      received.some((request) => request.body.includes(`"objectId":${deal.id}`)),
    );
    const before = listener.received.length;

    const edited = await postForm(
      `${sandbox.baseUrl}/_ui/portals/${portal.portalId}/contacts/${contact.id}`,
      {
        property: 'lastname',
        value: 'Edited',
      },
    );
    expect(edited.status).toBe(303);
    expect((await client.crm.contacts.basicApi.getById(contact.id, ['lastname'])).properties.lastname).toBe(
      'Edited',
    );

    const deals = await (await fetch(`${sandbox.baseUrl}/_ui/portals/${portal.portalId}?type=deals`)).text();
    expect(deals).toContain('name="value"');
    expect(deals).toContain('value="closedwon"');
    const moved = await postForm(`${sandbox.baseUrl}/_ui/portals/${portal.portalId}/deals/${deal.id}`, {
      property: 'dealstage',
      value: 'closedwon',
    });
    expect(moved.status).toBe(303);
    const read = await client.crm.deals.basicApi.getById(deal.id, ['dealstage', 'hs_is_closed_won']);
    expect(read.properties).toMatchObject({ dealstage: 'closedwon', hs_is_closed_won: 'true' });

    await listener.waitFor((received) => received.length > before);
    const events = listener.received
      .slice(before)
      .flatMap((request) => JSON.parse(request.body) as unknown[]);
    expect(events).toEqual([
      expect.objectContaining({
        subscriptionType: 'deal.propertyChange',
        objectId: Number(deal.id),
        propertyName: 'dealstage',
        propertyValue: 'closedwon',
        changeSource: 'CRM_UI',
      }),
    ]);

    const refused = await postForm(`${sandbox.baseUrl}/_ui/portals/${portal.portalId}/deals/${deal.id}`, {
      property: 'dealstage',
      value: 'nowhere',
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('INVALID_OPTION');

    const log = await fetch(`${sandbox.baseUrl}/_ui/portals/${portal.portalId}/deliveries`);
    expect(log.status).toBe(200);
    expect(await log.text()).toContain('delivered');
  });
});
