import { Client, Signature } from '@hubspot/api-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminCall,
  apiError,
  clientFor,
  createPortal,
  type Listener,
  type ReceivedRequest,
  type RunningSandbox,
  startListener,
  startSandbox,
} from '../../../test/helpers/sandbox-hubspot.ts';

interface EventShape {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  objectId: number;
  propertyName?: string;
  propertyValue?: string;
  changeSource: string;
}

let sandbox: RunningSandbox;
const listeners: Listener[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

afterAll(async () => {
  await sandbox.close();
});

async function portalWithHooks(
  answer: (index: number) => number,
  settings: Record<string, unknown>,
  subscriptions: Array<Record<string, unknown>>,
) {
  const listener = await startListener(answer);
  listeners.push(listener);
  const portal = await createPortal(sandbox.baseUrl);
  await adminCall(sandbox.baseUrl, 'PUT', `/_admin/portals/${portal.portalId}/webhooks`, {
    targetUrl: listener.url,
    retryTimeScale: 0.001,
    gatherMs: 30,
    ...settings,
  });
  for (const subscription of subscriptions) {
    await adminCall(
      sandbox.baseUrl,
      'POST',
      `/_admin/portals/${portal.portalId}/webhooks/subscriptions`,
      subscription,
    );
  }
  return { portal, listener, client: clientFor(sandbox.baseUrl, portal.accessToken) };
}

interface DeliveryLog {
  results: Array<{ outcome: string; status: number | null; attemptNumber: number; error: string | null }>;
  pending: unknown[];
}

/** The listener sees a request before the sandbox logs its answer, so wait for the log too. */
async function deliveryLog(portalId: number, entries: number): Promise<DeliveryLog> {
  const started = Date.now();
  for (;;) {
    const log = await adminCall<DeliveryLog>(
      sandbox.baseUrl,
      'GET',
      `/_admin/portals/${portalId}/webhooks/deliveries`,
    );
    if (log.results.length >= entries || Date.now() - started > 5000) return log;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function eventsOf(request: ReceivedRequest): EventShape[] {
  const parsed: unknown = JSON.parse(request.body);
  expect(Array.isArray(parsed)).toBe(true);
  return parsed as EventShape[];
}

describe('webhooks', () => {
  it('sends signed JSON-array batches and retries until the listener answers 2xx', async () => {
    const { portal, listener, client } = await portalWithHooks(
      (index) => (index < 2 ? 500 : 200),
      { signatureVersions: ['v1', 'v3'] },
      [
        { subscriptionType: 'contact.creation' },
        { subscriptionType: 'contact.propertyChange', propertyName: 'firstname' },
      ],
    );
    const created = await client.crm.contacts.batchApi.create({
      inputs: ['a', 'b', 'c'].map((name) => ({
        properties: { email: `${name}@hooks.example`, firstname: name.toUpperCase() },
        associations: [],
      })),
    });
    await listener.waitFor((received) => received.length >= 3);

    expect(listener.received.map((request) => eventsOf(request)[0]?.attemptNumber)).toEqual([0, 1, 2]);
    for (const request of listener.received) {
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      const timestamp = Number(request.headers['x-hubspot-request-timestamp']);
      const common = { clientSecret: portal.clientSecret, requestBody: request.body };
      expect(
        Signature.isValid({
          ...common,
          signatureVersion: 'v3',
          signature: String(request.headers['x-hubspot-signature-v3']),
          url: listener.url,
          method: 'POST',
          timestamp,
        }),
      ).toBe(true);
      expect(request.headers['x-hubspot-signature-version']).toBe('v1');
      expect(
        Signature.isValid({
          ...common,
          signatureVersion: 'v1',
          signature: String(request.headers['x-hubspot-signature']),
        }),
      ).toBe(true);
      // A signature made with another secret must not pass.
      expect(
        Signature.isValid({
          clientSecret: 'someone-else',
          requestBody: request.body,
          signatureVersion: 'v3',
          signature: String(request.headers['x-hubspot-signature-v3']),
          url: listener.url,
          method: 'POST',
          timestamp,
        }),
      ).toBe(false);
    }

    const last = listener.received[2];
    const events = last === undefined ? [] : eventsOf(last);
    expect(events).toHaveLength(6);
    const ids = created.results.map((one) => Number(one.id)).sort();
    const creations = events.filter((event) => event.subscriptionType === 'contact.creation');
    expect(creations.map((event) => event.objectId).sort()).toEqual(ids);
    expect(creations.every((event) => typeof event.objectId === 'number')).toBe(true);
    const changes = events.filter((event) => event.subscriptionType === 'contact.propertyChange');
    expect(changes.map((event) => [event.propertyName, event.propertyValue]).sort()).toEqual([
      ['firstname', 'A'],
      ['firstname', 'B'],
      ['firstname', 'C'],
    ]);
    expect(events.every((event) => event.portalId === portal.portalId && event.appId === portal.appId)).toBe(
      true,
    );
    expect(events.every((event) => event.changeSource === 'API')).toBe(true);

    const log = await deliveryLog(portal.portalId, 3);
    expect(log.results.map((entry) => [entry.attemptNumber, entry.status, entry.outcome])).toEqual([
      [2, 200, 'delivered'],
      [1, 500, 'retrying'],
      [0, 500, 'retrying'],
    ]);
  });

  it('cuts events into batches of the configured size and sends only subscribed changes', async () => {
    const { portal, listener, client } = await portalWithHooks(
      () => 200,
      { batchSize: 2, signatureVersions: ['v2'] },
      [
        { subscriptionType: 'deal.propertyChange', propertyName: 'dealstage' },
        { subscriptionType: 'deal.deletion' },
      ],
    );
    const deals = await client.crm.deals.batchApi.create({
      inputs: [1, 2, 3].map((index) => ({
        properties: { dealname: `Deal ${index}`, dealstage: 'appointmentscheduled' },
        associations: [],
      })),
    });
    await listener.waitFor((received) => received.flatMap(eventsOf).length >= 3);
    // Batches travel in parallel, so their arrival order is free.
    expect(listener.received.map((request) => eventsOf(request).length).sort()).toEqual([1, 2]);
    const firstRequest = listener.received[0];
    expect(firstRequest?.headers['x-hubspot-signature-version']).toBe('v2');
    expect(firstRequest?.headers['x-hubspot-signature-v3']).toBeUndefined();
    expect(
      Signature.isValid({
        signatureVersion: 'v2',
        signature: String(firstRequest?.headers['x-hubspot-signature']),
        clientSecret: portal.clientSecret,
        requestBody: firstRequest?.body ?? '',
        url: listener.url,
        method: 'POST',
      }),
    ).toBe(true);

    const first = deals.results[0];
    if (first === undefined) throw new Error('no deal');
    // A change to an unsubscribed property sends nothing; the stage change and the archive do.
    await client.crm.deals.basicApi.update(first.id, { properties: { amount: '10' } });
    await client.crm.deals.basicApi.update(first.id, { properties: { dealstage: 'closedwon' } });
    await client.crm.deals.basicApi.archive(first.id);
    await listener.waitFor((received) => received.flatMap(eventsOf).length >= 5);
    const later = listener.received
      .slice(2)
      .flatMap(eventsOf)
      .sort((a, b) => a.eventId - b.eventId);
    expect(later.map((event) => [event.subscriptionType, event.objectId, event.propertyValue])).toEqual([
      ['deal.propertyChange', Number(first.id), 'closedwon'],
      ['deal.deletion', Number(first.id), undefined],
    ]);
  });

  it('gives up at once on a 404 and after the configured retries on 5xx', async () => {
    const { portal, listener, client } = await portalWithHooks(
      (index) => (index === 0 ? 404 : 503),
      { maxRetries: 2 },
      [{ subscriptionType: 'company.creation' }],
    );
    await client.crm.companies.basicApi.create({ properties: { name: 'Gone' }, associations: [] });
    await listener.waitFor((received) => received.length >= 1);
    await client.crm.companies.basicApi.create({ properties: { name: 'Flaky' }, associations: [] });
    await listener.waitFor((received) => received.length >= 4);
    const log = await deliveryLog(portal.portalId, 4);
    expect(log.results.map((entry) => `${entry.status}:${entry.outcome}`).reverse()).toEqual([
      '404:gave_up',
      '503:retrying',
      '503:retrying',
      '503:gave_up',
    ]);
    expect(log.pending).toEqual([]);
  });

  it('treats an answer slower than the timeout as a failure and retries', async () => {
    const listener = await startListener(
      () => 200,
      (index) => (index === 0 ? 400 : 0),
    );
    listeners.push(listener);
    const portal = await createPortal(sandbox.baseUrl);
    await adminCall(sandbox.baseUrl, 'PUT', `/_admin/portals/${portal.portalId}/webhooks`, {
      targetUrl: listener.url,
      retryTimeScale: 0.001,
      gatherMs: 0,
      timeoutMs: 100,
    });
    await adminCall(sandbox.baseUrl, 'POST', `/_admin/portals/${portal.portalId}/webhooks/subscriptions`, {
      subscriptionType: 'contact.creation',
    });
    await clientFor(sandbox.baseUrl, portal.accessToken).crm.contacts.basicApi.create({
      properties: { email: 'slow@hooks.example' },
      associations: [],
    });
    const log = await deliveryLog(portal.portalId, 2);
    const attempts = [...log.results].reverse();
    expect(attempts.map((entry) => entry.outcome)).toEqual(['retrying', 'delivered']);
    expect(attempts[0]?.status).toBeNull();
    expect(attempts[0]?.error).toMatch(/timed out after 100 ms/);
  });

  it('lets an app configure its target URL and subscriptions through HubSpot’s Webhooks API', async () => {
    const listener = await startListener();
    listeners.push(listener);
    const portal = await createPortal(sandbox.baseUrl);
    const developer = new Client({ developerApiKey: portal.developerApiKey, basePath: sandbox.baseUrl });
    const settings = await developer.webhooks.settingsApi.configure(portal.appId, {
      targetUrl: listener.url,
      throttling: { maxConcurrentRequests: 5 },
    });
    expect(settings.targetUrl).toBe(listener.url);
    const subscription = await developer.webhooks.subscriptionsApi.create(portal.appId, {
      eventType: 'contact.propertyChange' as never,
      propertyName: 'lifecyclestage',
      active: true,
    });
    expect(subscription.id).toMatch(/^\d+$/);
    const listed = await developer.webhooks.subscriptionsApi.getAll(portal.appId);
    expect(listed.results.map((one) => [one.eventType, one.propertyName])).toEqual([
      ['contact.propertyChange', 'lifecyclestage'],
    ]);

    const intruder = new Client({ developerApiKey: 'not-the-key', basePath: sandbox.baseUrl });
    const refused = await apiError(intruder.webhooks.subscriptionsApi.getAll(portal.appId));
    expect(refused.code).toBe(401);

    const client = clientFor(sandbox.baseUrl, portal.accessToken);
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'dev-api@hooks.example', lifecyclestage: 'lead' },
      associations: [],
    });
    await listener.waitFor((received) => received.length >= 1);
    expect(listener.received.flatMap(eventsOf).map((event) => [event.objectId, event.propertyValue])).toEqual(
      [[Number(contact.id), 'lead']],
    );

    await developer.webhooks.subscriptionsApi.archive(Number(subscription.id), portal.appId);
    expect((await developer.webhooks.subscriptionsApi.getAll(portal.appId)).results).toEqual([]);
  });
});
