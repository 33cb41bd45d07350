import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  apiFailure,
  clients,
  createOrganization,
  type NewOrganization,
  orderFor,
  PREFIX,
  type RunningTremendous,
  startTremendous,
} from '../../../test/helpers/sandbox-tremendous.ts';
import { memorySandboxStore } from '../store.ts';
import { tremendousSandbox } from './index.ts';

let sandbox: RunningTremendous;
let organization: NewOrganization;

beforeAll(async () => {
  sandbox = await startTremendous();
  organization = await createOrganization(sandbox.baseUrl, { name: 'Acme', balance: 500 });
});
afterAll(() => sandbox.close());

describe('API keys', () => {
  it('shows the key once: neither the list nor the organization carries it', async () => {
    expect(organization.apiKey).toMatch(/^TEST_[A-Za-z0-9]{40}$/);
    const listed = await admin<unknown>(sandbox.baseUrl, 'GET', '/_admin/organizations');
    const one = await admin<unknown>(sandbox.baseUrl, 'GET', `/_admin/organizations/${organization.id}`);
    expect(JSON.stringify(listed)).not.toContain(organization.apiKey);
    expect(JSON.stringify(one)).not.toContain(organization.apiKey);
  });

  it.each([
    { name: 'an unknown key', key: 'TEST_nobody' },
    { name: 'an empty key', key: '' },
  ])('answers 401 for $name', async ({ key }) => {
    const failure = await apiFailure(
      clients({ basePath: organization.basePath, apiKey: key }).fundingSources.listFundingSources(),
    );
    expect(failure.status).toBe(401);
    expect(failure.data.errors.message).toContain('Authentication failed');
  });

  it('answers 401 once the key is revoked, and nothing is ordered', async () => {
    const own = await createOrganization(sandbox.baseUrl, { balance: 100 });
    await admin(sandbox.baseUrl, 'POST', `/_admin/organizations/${own.id}/revoke-keys`);
    const failure = await apiFailure(clients(own).orders.createOrder(orderFor()));
    expect(failure.status).toBe(401);
    const summary = await admin<{ orders: number; keys: Array<{ revoked: boolean }> }>(
      sandbox.baseUrl,
      'GET',
      `/_admin/organizations/${own.id}`,
    );
    expect(summary).toMatchObject({ orders: 0, keys: [{ revoked: true }] });
  });

  it('rolls a key: the old one answers 401, the new one works', async () => {
    const own = await createOrganization(sandbox.baseUrl);
    const rolled = await admin<{ apiKey: string }>(
      sandbox.baseUrl,
      'POST',
      `/_admin/organizations/${own.id}/roll-key`,
    );
    expect((await apiFailure(clients(own).fundingSources.listFundingSources())).status).toBe(401);
    const sources = await clients({
      basePath: own.basePath,
      apiKey: rolled.apiKey,
    }).fundingSources.listFundingSources();
    expect(sources.status).toBe(200);
  });
});

describe('faults', () => {
  const faults = (body: unknown) =>
    admin(sandbox.baseUrl, 'PUT', `/_admin/organizations/${organization.id}/faults`, body);

  it.each([
    { knob: { force429Count: 1 }, status: 429 },
    { knob: { force500Count: 1 }, status: 500 },
    { knob: { errorRate: 1 }, status: 500 },
  ])(
    '$knob answers $status with the Tremendous error shape, and charges nothing',
    async ({ knob, status }) => {
      const api = clients(organization);
      await faults(knob);
      const failure = await apiFailure(api.orders.createOrder(orderFor({ externalId: `fault-${status}` })));
      await admin(sandbox.baseUrl, 'DELETE', `/_admin/organizations/${organization.id}/faults`);
      expect(failure.status).toBe(status);
      expect(failure.data.errors).toHaveProperty('message');
      expect((await api.orders.listOrders(undefined, undefined, `fault-${status}`)).data.total_count).toBe(0);
    },
  );

  it('adds latency', async () => {
    await faults({ latencyMs: 150 });
    const started = Date.now();
    await clients(organization).products.listProducts();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await admin(sandbox.baseUrl, 'DELETE', `/_admin/organizations/${organization.id}/faults`);
  });
});

describe('admin funding', () => {
  it.each([
    { body: { amount: 10, balance: 5 }, field: 'body' },
    { body: { amount: 0.001 }, field: 'amount' },
    { body: { amount: -100000 }, field: 'amount' },
  ])('refuses $body naming $field and changes nothing', async ({ body, field }) => {
    const own = await createOrganization(sandbox.baseUrl, { balance: 20 });
    const response = await fetch(`${sandbox.baseUrl}/_admin/organizations/${own.id}/funding`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(
      ((await response.json()) as { errors: { payload: Record<string, string> } }).errors.payload,
    ).toHaveProperty(field);
    const balance = await clients(own).fundingSources.getFundingSource('balance');
    expect(balance.data.funding_source.meta.available_amount).toBe(20);
  });
});

describe('web page, persistence, mounting', () => {
  it('shows orders and balances, HTML-escaped, without keys', async () => {
    const own = await createOrganization(sandbox.baseUrl, { name: '<i>Org</i>', balance: 100 });
    await clients(own).orders.createOrder({
      ...orderFor({ externalId: '<ext>' }),
      reward: { ...orderFor().reward, recipient: { name: '<script>x()</script>', email: 'bob@example.com' } },
    });
    const index = await (await fetch(`${sandbox.baseUrl}/_ui`)).text();
    expect(index).toContain('&lt;i&gt;Org&lt;/i&gt;');
    const page = await (await fetch(`${sandbox.baseUrl}/_ui/organizations/${own.id}`)).text();
    expect(page).not.toContain('<script>x()</script>');
    expect(page).toContain('&lt;script&gt;x()&lt;/script&gt;');
    expect(page).toContain('&lt;ext&gt;');
    expect(page).toContain('75.00 USD');
    expect(page).toContain('25.00 USD');
    expect(page).not.toContain(own.apiKey);
  });

  it('keeps organizations, balances and orders across a restart', async () => {
    const store = memorySandboxStore();
    const first = await startTremendous(store);
    const own = await createOrganization(first.baseUrl, { balance: 60 });
    const order = (await clients(own).orders.createOrder(orderFor({ externalId: 'kept' }))).data.order;
    await first.close();
    const second = await startTremendous(store);
    try {
      const api = clients({
        basePath: own.basePath.replace(first.baseUrl, second.baseUrl),
        apiKey: own.apiKey,
      });
      expect((await api.orders.getOrder('kept')).data.order.id).toBe(order.id);
      expect(
        (await api.fundingSources.getFundingSource('balance')).data.funding_source.meta.available_amount,
      ).toBe(35);
    } finally {
      await second.close();
    }
  });

  it('stays encapsulated: the host keeps its own 404 and JSON parsing', async () => {
    const app = Fastify({ logger: false });
    app.post('/host/echo', async (request) => ({ got: request.body ?? null }));
    await app.register(tremendousSandbox, { prefix: PREFIX, store: memorySandboxStore() });
    try {
      const hostMissing = await app.inject({ method: 'GET', url: '/host/nowhere' });
      expect(hostMissing.statusCode).toBe(404);
      expect(hostMissing.json()).not.toHaveProperty('errors');
      const hostEmpty = await app.inject({
        method: 'POST',
        url: '/host/echo',
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      expect(hostEmpty.statusCode).toBe(400);
      const sandboxMissing = await app.inject({ method: 'GET', url: `${PREFIX}/api/v2/nowhere` });
      expect(sandboxMissing.statusCode).toBe(404);
      expect(sandboxMissing.json()).toHaveProperty('errors.message');
    } finally {
      await app.close();
    }
  });
});
