import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  apiFailure,
  clients,
  createOrganization,
  orderFor,
  type RunningTremendous,
  startTremendous,
} from '../../../test/helpers/sandbox-tremendous.ts';

let sandbox: RunningTremendous;

beforeAll(async () => {
  sandbox = await startTremendous();
});
afterAll(() => sandbox.close());

describe('orders through the official client', () => {
  it('creates an order paid from the balance and reads it back', async () => {
    const organization = await createOrganization(sandbox.baseUrl, { balance: 100 });
    const api = clients(organization);
    const created = await api.orders.createOrder(orderFor({ externalId: 'reward-1' }));
    expect(created.status).toBe(200);
    const order = created.data.order;
    expect(order).toMatchObject({
      external_id: 'reward-1',
      status: 'EXECUTED',
      channel: 'API',
      payment: { subtotal: 25, total: 25, fees: 0, discount: 0, currency_code: 'USD' },
    });
    expect(order.id).toMatch(/^[A-Z0-9]{12}$/);
    expect(order.rewards?.[0]).toMatchObject({
      order_id: order.id,
      value: { denomination: 25, currency_code: 'USD' },
      recipient: { name: 'Ada Referrer', email: 'ada@example.com' },
      delivery: { method: 'EMAIL', status: 'SCHEDULED' },
    });
    const byId = await api.orders.getOrder(order.id);
    expect(byId.data.order).toEqual(order);
    const byExternalId = await api.orders.getOrder('reward-1');
    expect(byExternalId.data.order.id).toBe(order.id);
    const balance = await api.fundingSources.getFundingSource('BALANCE');
    expect(balance.data.funding_source.meta).toMatchObject({
      available_amount: 75,
      available_cents: 7500,
      currency_code: 'USD',
    });
  });

  it('answers 402 without funds, then after funding the retry with the same external_id makes exactly one order', async () => {
    const organization = await createOrganization(sandbox.baseUrl, { balance: 10 });
    const api = clients(organization);
    const request = orderFor({ externalId: 'reward-retry', denomination: 25 });

    const refused = await apiFailure(api.orders.createOrder(request));
    expect(refused.status).toBe(402);
    expect(refused.data.errors.message).toBe('Insufficient funds to place this order');
    expect(refused.data.errors.payload).toMatchObject({
      payment: { funding_source_id: expect.stringContaining('10.00 USD available') },
    });
    expect((await api.orders.listOrders()).data.total_count).toBe(0);

    await admin(sandbox.baseUrl, 'POST', `/_admin/organizations/${organization.id}/funding`, { amount: 40 });
    const placed = await api.orders.createOrder(request);
    expect(placed.status).toBe(200);
    const replayed = await api.orders.createOrder(request);
    expect(replayed.status).toBe(201);
    expect(replayed.data.order.id).toBe(placed.data.order.id);

    const listed = await api.orders.listOrders(undefined, undefined, 'reward-retry');
    expect(listed.data.total_count).toBe(1);
    const balance = await api.fundingSources.getFundingSource('balance');
    expect(balance.data.funding_source.meta.available_amount).toBe(25);
  });

  it('answers 409 for an external_id reused with other parameters, charging nothing', async () => {
    const organization = await createOrganization(sandbox.baseUrl, { balance: 100 });
    const api = clients(organization);
    await api.orders.createOrder(orderFor({ externalId: 'reward-409' }));
    const conflict = await apiFailure(
      api.orders.createOrder(orderFor({ externalId: 'reward-409', denomination: 30 })),
    );
    expect(conflict.status).toBe(409);
    expect(conflict.data.errors.payload).toHaveProperty('external_id');
    expect(
      (await api.fundingSources.getFundingSource('balance')).data.funding_source.meta.available_amount,
    ).toBe(75);
  });

  it.each([
    {
      name: 'no funding source',
      body: { reward: orderFor().reward },
      status: 422,
      path: ['payment', 'funding_source_id'],
    },
    {
      name: 'an unknown product',
      body: { ...orderFor(), reward: { ...orderFor().reward, products: ['NOPE'] } },
      status: 400,
      path: ['reward', 'products', '0'],
    },
    {
      name: 'a denomination outside the product range',
      body: orderFor({ denomination: 5000 }),
      status: 400,
      path: ['reward', 'products', '0'],
    },
    {
      name: 'a malformed email',
      body: orderFor({ email: 'not-an-email' }),
      status: 400,
      path: ['reward', 'recipient', 'email'],
    },
    {
      name: 'an unknown funding source',
      body: orderFor({ fundingSourceId: 'ZZZZZZZZZZZZ' }),
      status: 400,
      path: ['payment', 'funding_source_id'],
    },
  ])('refuses $name with $status naming the field', async ({ body, status, path }) => {
    const organization = await createOrganization(sandbox.baseUrl, { balance: 100 });
    const api = clients(organization);
    const failure = await apiFailure(api.orders.createOrder(body as never));
    expect(failure.status).toBe(status);
    let node: unknown = failure.data.errors.payload;
    for (const segment of path) node = (node as Record<string, unknown>)[segment];
    expect(typeof node).toBe('string');
    expect((await api.orders.listOrders()).data.total_count).toBe(0);
  });

  it('answers 404 for an order of another organization', async () => {
    const mine = clients(await createOrganization(sandbox.baseUrl, { balance: 50 }));
    const theirs = clients(await createOrganization(sandbox.baseUrl, { balance: 50 }));
    const order = (await mine.orders.createOrder(orderFor())).data.order;
    const failure = await apiFailure(theirs.orders.getOrder(order.id));
    expect(failure.status).toBe(404);
  });

  it('pays from another funding source when named', async () => {
    const organization = await createOrganization(sandbox.baseUrl);
    const card = await admin<{ id: string }>(
      sandbox.baseUrl,
      'POST',
      `/_admin/organizations/${organization.id}/funding-sources`,
      {
        method: 'credit_card',
        available: 30,
      },
    );
    const api = clients(organization);
    const sources = await api.fundingSources.listFundingSources();
    expect(sources.data.funding_sources.map((source) => source.method)).toEqual(['balance', 'credit_card']);
    await api.orders.createOrder(orderFor({ fundingSourceId: card.id, denomination: 20 }));
    const refused = await apiFailure(
      api.orders.createOrder(orderFor({ fundingSourceId: card.id, denomination: 20 })),
    );
    expect(refused.status).toBe(402);
  });

  it('lists products with filters', async () => {
    const api = clients(await createOrganization(sandbox.baseUrl));
    const all = await api.products.listProducts();
    expect(all.data.products.length).toBeGreaterThan(1);
    const euro = await api.products.listProducts(undefined, 'EUR');
    expect(euro.data.products.every((product) => product.currency_codes.includes('EUR'))).toBe(true);
    const one = await api.products.getProduct('OKMHM2X2OHYV');
    expect(one.data.product).toMatchObject({ id: 'OKMHM2X2OHYV', category: 'merchant_card' });
  });
});
