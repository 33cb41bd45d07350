import Stripe from 'stripe';
import { Configuration, OrdersApi } from 'tremendous';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPlugins, sandboxPrefixes } from '../src/sandbox/index.ts';
import { memorySandboxStore } from '../src/sandbox/store.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ plugins: sandboxPlugins(memorySandboxStore()) });
});
afterAll(() => testApp.close());

async function adminPost<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${testApp.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as T;
}

describe('payment sandboxes mounted in refsync', () => {
  it('serves the Stripe API at the root /v1, where the official client calls it', async () => {
    const account = await adminPost<{ secretKey: string; port: number; host: string; protocol: string }>(
      `${sandboxPrefixes.stripe}/_admin/accounts`,
      { name: 'Mounted' },
    );
    const stripe = new Stripe(account.secretKey, {
      host: account.host,
      port: account.port,
      protocol: account.protocol as 'http',
      maxNetworkRetries: 0,
    });
    const customer = await stripe.customers.create({ email: 'mounted@example.com' });
    await stripe.customers.createBalanceTransaction(customer.id, { amount: -1500, currency: 'usd' });
    expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ balance: -1500 });
    const page = await (await fetch(`${testApp.url}${sandboxPrefixes.stripe}/_ui`)).text();
    expect(page).toContain('Stripe sandbox');
  });

  it('serves Tremendous under its prefix', async () => {
    const organization = await adminPost<{ apiKey: string; basePath: string }>(
      `${sandboxPrefixes.tremendous}/_admin/organizations`,
      { balance: 50 },
    );
    expect(organization.basePath).toBe(`${testApp.url}${sandboxPrefixes.tremendous}/api/v2`);
    const orders = new OrdersApi(
      new Configuration({ basePath: organization.basePath, accessToken: organization.apiKey }),
    );
    const placed = await orders.createOrder({
      external_id: 'mounted-1',
      payment: { funding_source_id: 'balance' },
      reward: {
        value: { denomination: 10, currency_code: 'USD' },
        products: ['OKMHM2X2OHYV'],
        recipient: { name: 'Mounted', email: 'mounted@example.com' },
        delivery: { method: 'EMAIL' },
      },
    });
    expect(placed.status).toBe(200);
  });

  it("leaves refsync's own API and 404s alone", async () => {
    const missing = await fetch(`${testApp.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).not.toHaveProperty('error.type');
    const health = await fetch(`${testApp.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
