import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createAccount, PREFIX, startStripe, stripeClient } from '../../../test/helpers/sandbox-stripe.ts';
import { memorySandboxStore } from '../store.ts';
import { stripeSandbox } from './index.ts';

describe('web page', () => {
  it('lists customers and what was paid, HTML-escaped, without keys', async () => {
    const sandbox = await startStripe();
    try {
      const account = await createAccount(sandbox.baseUrl, '<b>Acme</b>');
      const stripe = stripeClient(sandbox.port, account.secretKey);
      const customer = await stripe.customers.create({
        email: 'ui@example.com',
        name: '<script>alert(1)</script>',
      });
      await stripe.customers.createBalanceTransaction(customer.id, {
        amount: -2500,
        currency: 'usd',
        description: 'Reward "for" <Bob>',
      });
      const index = await (await fetch(`${sandbox.baseUrl}/_ui`)).text();
      expect(index).toContain('&lt;b&gt;Acme&lt;/b&gt;');
      const response = await fetch(`${sandbox.baseUrl}/_ui/accounts/${account.id}`);
      expect(response.headers.get('content-type')).toContain('text/html');
      const page = await response.text();
      expect(page).not.toContain('<script>alert(1)</script>');
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page).toContain('Reward &quot;for&quot; &lt;Bob&gt;');
      expect(page).toContain('-25.00 USD');
      expect(page).toContain(customer.id);
      expect(page).not.toContain(account.secretKey);
      expect(page).toContain(account.secretKey.slice(-4));
    } finally {
      await sandbox.close();
    }
  });
});

describe('persistence and mounting', () => {
  it('keeps accounts, customers and balances across a restart', async () => {
    const store = memorySandboxStore();
    const first = await startStripe(store);
    const account = await createAccount(first.baseUrl);
    const customer = await stripeClient(first.port, account.secretKey).customers.create({
      email: 'kept@example.com',
    });
    await stripeClient(first.port, account.secretKey).customers.createBalanceTransaction(customer.id, {
      amount: -100,
      currency: 'eur',
    });
    await first.close();
    const second = await startStripe(store);
    try {
      const again = await stripeClient(second.port, account.secretKey).customers.retrieve(customer.id);
      expect(again).toMatchObject({ email: 'kept@example.com', balance: -100, currency: 'eur' });
    } finally {
      await second.close();
    }
  });

  it('stays encapsulated: the host keeps its own 404 and parsers', async () => {
    const app = Fastify({ logger: false });
    app.post('/host/echo', async (request) => ({ got: request.body ?? null }));
    await app.register(stripeSandbox, { prefix: PREFIX, store: memorySandboxStore() });
    try {
      const hostMissing = await app.inject({ method: 'GET', url: '/host/nowhere' });
      expect(hostMissing.statusCode).toBe(404);
      expect(hostMissing.json()).not.toHaveProperty('error.type');
      const form = await app.inject({
        method: 'POST',
        url: '/host/echo',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1',
      });
      expect(form.statusCode).toBe(415);
      const sandboxMissing = await app.inject({ method: 'GET', url: `${PREFIX}/nowhere` });
      expect(sandboxMissing.statusCode).toBe(404);
      expect(sandboxMissing.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    } finally {
      await app.close();
    }
  });
});
