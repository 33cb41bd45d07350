import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningStripe,
  startStripeWithAccount,
  type stripeClient,
  stripeError,
} from '../../../test/helpers/sandbox-stripe.ts';

let sandbox: RunningStripe;
let stripe: ReturnType<typeof stripeClient>;

beforeAll(async () => {
  ({ sandbox, stripe } = await startStripeWithAccount());
});
afterAll(() => sandbox.close());

describe('customers through the official client', () => {
  it('creates a customer with metadata and reads it back', async () => {
    const created = await stripe.customers.create({
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      metadata: { refsync_member: 'mem_1', program: 'Spring = 50% & more' },
    });
    expect(created).toMatchObject({
      object: 'customer',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      balance: 0,
      currency: null,
      livemode: false,
      metadata: { refsync_member: 'mem_1', program: 'Spring = 50% & more' },
    });
    expect(created.id).toMatch(/^cus_/);
    expect(created.lastResponse.headers['request-id']).toMatch(/^req_/);
    const read = await stripe.customers.retrieve(created.id);
    expect(read).toMatchObject({ id: created.id, email: 'ada@example.com' });
  });

  it('finds customers by email with search (case-insensitive) and list (exact)', async () => {
    const grace = await stripe.customers.create({ email: 'Grace@Example.com', name: 'Grace' });
    const found = await stripe.customers.search({ query: "email:'grace@example.com'" });
    expect(found.object).toBe('search_result');
    expect(found.data.map((customer) => customer.id)).toEqual([grace.id]);
    const exact = await stripe.customers.list({ email: 'Grace@Example.com' });
    expect(exact.data.map((customer) => customer.id)).toEqual([grace.id]);
    const otherCase = await stripe.customers.list({ email: 'grace@example.com' });
    expect(otherCase.data).toEqual([]);
  });

  it('pages lists newest first with has_more and starting_after', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3])
      ids.push((await stripe.customers.create({ email: `page${n}@example.com` })).id);
    const first = await stripe.customers.list({ limit: 2 });
    expect(first.has_more).toBe(true);
    expect(first.data.map((customer) => customer.id)).toEqual([ids[2], ids[1]]);
    const last = first.data.at(-1)?.id ?? '';
    const second = await stripe.customers.list({ limit: 2, starting_after: last });
    expect(second.data[0]?.id).toBe(ids[0]);
    const everyone: string[] = [];
    for await (const customer of stripe.customers.list({ limit: 2 })) everyone.push(customer.id);
    expect(everyone).toEqual(expect.arrayContaining(ids));
  });

  it.each([
    {
      name: 'a missing customer',
      call: () => stripe.customers.retrieve('cus_missing'),
      status: 404,
      code: 'resource_missing',
      param: 'id',
      message: "No such customer: 'cus_missing'",
    },
    {
      name: 'an unknown parameter',
      call: () => stripe.customers.create({ colour: 'red' } as never),
      status: 400,
      code: 'parameter_unknown',
      param: 'colour',
      message: 'Received unknown parameter: colour',
    },
    {
      name: 'a malformed email',
      call: () => stripe.customers.create({ email: 'not-an-email' }),
      status: 400,
      code: 'email_invalid',
      param: 'email',
      message: 'Invalid email address: not-an-email',
    },
    {
      name: 'a query outside the modelled syntax',
      call: () => stripe.customers.search({ query: "email~'ada'" }),
      status: 400,
      code: undefined,
      param: 'query',
      message: expect.stringContaining('Invalid search query'),
    },
  ])('answers $name with the Stripe error shape', async ({ call, status, code, param, message }) => {
    const error = await stripeError(call());
    expect(error.type).toBe('StripeInvalidRequestError');
    expect(error.statusCode).toBe(status);
    expect(error.rawType).toBe('invalid_request_error');
    expect(error.code).toBe(code);
    expect(error.param).toBe(param);
    expect(error.raw).toMatchObject({ message });
  });
});
