import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  createAccount,
  type NewAccount,
  type RunningStripe,
  startStripe,
  stripeClient,
  stripeError,
} from '../../../test/helpers/sandbox-stripe.ts';

let sandbox: RunningStripe;
let account: NewAccount;

beforeAll(async () => {
  sandbox = await startStripe();
  account = await createAccount(sandbox.baseUrl);
});
afterAll(() => sandbox.close());

describe('keys', () => {
  it('shows the secret key once: not in the account list nor the account', async () => {
    expect(account.secretKey).toMatch(/^sk_test_[A-Za-z0-9]{48}$/);
    const listed = await admin<{ data: unknown[] }>(sandbox.baseUrl, 'GET', '/_admin/accounts');
    const one = await admin<unknown>(sandbox.baseUrl, 'GET', `/_admin/accounts/${account.id}`);
    expect(JSON.stringify(listed)).not.toContain(account.secretKey);
    expect(JSON.stringify(one)).not.toContain(account.secretKey);
    expect(one).toMatchObject({ keys: [{ last4: account.secretKey.slice(-4), revoked: false }] });
  });

  it('answers 401 for an unknown key, masking it', async () => {
    const stranger = stripeClient(sandbox.port, 'sk_test_notarealkey1234');
    const error = await stripeError(stranger.customers.list());
    expect(error.type).toBe('StripeAuthenticationError');
    expect(error).toMatchObject({ statusCode: 401, rawType: 'invalid_request_error' });
    expect(error.message).toContain('Invalid API Key provided: sk_test_***********1234');
  });

  it('answers 401 api_key_expired after the key is rolled; the new key works', async () => {
    const own = await createAccount(sandbox.baseUrl, 'Rolled');
    const rolled = await admin<{ secretKey: string }>(
      sandbox.baseUrl,
      'POST',
      `/_admin/accounts/${own.id}/roll-key`,
    );
    const error = await stripeError(stripeClient(sandbox.port, own.secretKey).customers.list());
    expect(error).toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
      code: 'api_key_expired',
    });
    const fresh = await stripeClient(sandbox.port, rolled.secretKey).customers.list();
    expect(fresh.data).toEqual([]);
  });

  it('answers 401 for every key once revoked', async () => {
    const own = await createAccount(sandbox.baseUrl, 'Revoked');
    await admin(sandbox.baseUrl, 'POST', `/_admin/accounts/${own.id}/revoke-keys`);
    const error = await stripeError(
      stripeClient(sandbox.port, own.secretKey).customers.create({ email: 'x@example.com' }),
    );
    expect(error).toMatchObject({ statusCode: 401, code: 'api_key_expired' });
  });

  it('answers 401 without a key, as Stripe does', async () => {
    const response = await fetch(`http://127.0.0.1:${sandbox.port}/v1/customers`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('You did not provide an API key');
  });

  it("keeps each account's customers to itself", async () => {
    const mine = stripeClient(sandbox.port, account.secretKey);
    const other = stripeClient(sandbox.port, (await createAccount(sandbox.baseUrl, 'Other')).secretKey);
    const customer = await mine.customers.create({ email: 'private@example.com' });
    const error = await stripeError(other.customers.retrieve(customer.id));
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

describe('faults', () => {
  const faults = (body: unknown) =>
    admin(sandbox.baseUrl, 'PUT', `/_admin/accounts/${account.id}/faults`, body);

  it.each([
    {
      knob: { force429Count: 1 },
      status: 429,
      type: 'StripeRateLimitError',
      rawType: 'invalid_request_error',
      code: 'rate_limit',
    },
    {
      knob: { force500Count: 1 },
      status: 500,
      type: 'StripeAPIError',
      rawType: 'api_error',
      code: undefined,
    },
    { knob: { errorRate: 1 }, status: 500, type: 'StripeAPIError', rawType: 'api_error', code: undefined },
  ])('$knob makes the next call fail with $status', async ({ knob, status, type, rawType, code }) => {
    const stripe = stripeClient(sandbox.port, account.secretKey);
    await faults(knob);
    const error = await stripeError(
      stripe.customers.create(
        { email: 'fault@example.com' },
        { idempotencyKey: `fault-${status}-${type}-${JSON.stringify(knob)}` },
      ),
    );
    expect(error).toMatchObject({ type, statusCode: status, rawType, code });
    await admin(sandbox.baseUrl, 'DELETE', `/_admin/accounts/${account.id}/faults`);
    // A fault hits before the endpoint runs: retrying the same key creates the customer.
    const created = await stripe.customers.create(
      { email: 'fault@example.com' },
      { idempotencyKey: `fault-${status}-${type}-${JSON.stringify(knob)}` },
    );
    expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  it('lets the client retry a forced 500 by itself and succeed', async () => {
    const retrying = new Stripe(account.secretKey, {
      host: '127.0.0.1',
      port: sandbox.port,
      protocol: 'http',
      maxNetworkRetries: 2,
    });
    await faults({ force500Count: 1 });
    const created = await retrying.customers.create({ email: 'retried@example.com' });
    const found = await retrying.customers.list({ email: 'retried@example.com' });
    expect(found.data.map((customer) => customer.id)).toEqual([created.id]);
  });

  it('adds latency', async () => {
    const stripe = stripeClient(sandbox.port, account.secretKey);
    await faults({ latencyMs: 150 });
    const started = Date.now();
    await stripe.customers.list({ limit: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await admin(sandbox.baseUrl, 'DELETE', `/_admin/accounts/${account.id}/faults`);
  });

  it('refuses an out-of-range knob, naming it', async () => {
    const response = await fetch(`${sandbox.baseUrl}/_admin/accounts/${account.id}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 2 }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('errorRate');
  });
});

describe('wire details', () => {
  it('echoes Stripe-Version and refuses a malformed one', async () => {
    const headers = { authorization: `Bearer ${account.secretKey}` };
    const ok = await fetch(`http://127.0.0.1:${sandbox.port}/v1/customers?limit=1`, {
      headers: { ...headers, 'stripe-version': '2024-06-20' },
    });
    expect(ok.headers.get('stripe-version')).toBe('2024-06-20');
    const bad = await fetch(`http://127.0.0.1:${sandbox.port}/v1/customers`, {
      headers: { ...headers, 'stripe-version': 'yesterday' },
    });
    expect(bad.status).toBe(400);
  });

  it('reads bracket notation from a raw form body, also under the prefix', async () => {
    const response = await fetch(`${sandbox.baseUrl}/v1/customers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${account.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'email=raw%40example.com&metadata[source]=curl&metadata[note]=a%20b',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      email: 'raw@example.com',
      metadata: { source: 'curl', note: 'a b' },
    });
  });

  it('answers an unknown /v1 path with the Stripe 404 shape', async () => {
    const response = await fetch(`http://127.0.0.1:${sandbox.port}/v1/charges`, {
      headers: { authorization: `Bearer ${account.secretKey}` },
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'Unrecognized request URL',
    );
  });
});
