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

describe('customer balance transactions', () => {
  it('credits a customer and the balance reads back negative', async () => {
    const customer = await stripe.customers.create({ email: 'referrer@example.com' });
    const credit = await stripe.customers.createBalanceTransaction(customer.id, {
      amount: -2500,
      currency: 'usd',
      description: 'Referral reward for Bob',
      metadata: { reward_id: 'rwd_1' },
    });
    expect(credit).toMatchObject({
      object: 'customer_balance_transaction',
      amount: -2500,
      currency: 'usd',
      customer: customer.id,
      description: 'Referral reward for Bob',
      ending_balance: -2500,
      metadata: { reward_id: 'rwd_1' },
      type: 'adjustment',
    });
    expect(credit.id).toMatch(/^cbtxn_/);
    await stripe.customers.createBalanceTransaction(customer.id, { amount: -1000, currency: 'usd' });
    const read = await stripe.customers.retrieve(customer.id);
    expect(read).toMatchObject({ balance: -3500, currency: 'usd' });

    const listed = await stripe.customers.listBalanceTransactions(customer.id, { limit: 1 });
    expect(listed.has_more).toBe(true);
    expect(listed.data[0]).toMatchObject({ amount: -1000, ending_balance: -3500 });
    const one = await stripe.customers.retrieveBalanceTransaction(customer.id, credit.id);
    expect(one).toEqual(credit);
  });

  it('refuses a transaction in another currency than the customer has', async () => {
    const customer = await stripe.customers.create({ email: 'euro@example.com' });
    await stripe.customers.createBalanceTransaction(customer.id, { amount: -100, currency: 'usd' });
    const error = await stripeError(
      stripe.customers.createBalanceTransaction(customer.id, { amount: -100, currency: 'eur' }),
    );
    expect(error).toMatchObject({ statusCode: 400, param: 'currency', rawType: 'invalid_request_error' });
    expect((await stripe.customers.retrieve(customer.id)) as { balance: number }).toMatchObject({
      balance: -100,
    });
  });

  it.each([
    { name: 'no amount', params: { currency: 'usd' }, param: 'amount', code: 'parameter_missing' },
    {
      name: 'a fractional amount',
      params: { amount: 1.5, currency: 'usd' },
      param: 'amount',
      code: 'parameter_invalid_integer',
    },
    { name: 'no currency', params: { amount: -100 }, param: 'currency', code: 'parameter_missing' },
  ])('answers 400 for $name and writes nothing', async ({ params, param, code }) => {
    const customer = await stripe.customers.create({ email: `bad-${param}@example.com` });
    const error = await stripeError(stripe.customers.createBalanceTransaction(customer.id, params as never));
    expect(error).toMatchObject({ statusCode: 400, param, code });
    const listed = await stripe.customers.listBalanceTransactions(customer.id);
    expect(listed.data).toEqual([]);
  });

  it.each([
    {
      name: 'creating on a missing customer',
      call: () => stripe.customers.createBalanceTransaction('cus_nobody', { amount: -1, currency: 'usd' }),
      message: "No such customer: 'cus_nobody'",
      param: 'customer',
    },
    {
      name: 'listing for a missing customer',
      call: () => stripe.customers.listBalanceTransactions('cus_nobody'),
      message: "No such customer: 'cus_nobody'",
      param: 'customer',
    },
  ])('answers 404 resource_missing for $name', async ({ call, message, param }) => {
    const error = await stripeError(call());
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', param, raw: { message } });
  });

  it('answers 404 for a transaction of another customer', async () => {
    const first = await stripe.customers.create({ email: 'one@example.com' });
    const second = await stripe.customers.create({ email: 'two@example.com' });
    const credit = await stripe.customers.createBalanceTransaction(first.id, { amount: -5, currency: 'usd' });
    const error = await stripeError(stripe.customers.retrieveBalanceTransaction(second.id, credit.id));
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});
