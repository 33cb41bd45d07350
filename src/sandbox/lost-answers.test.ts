import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  type RunningStripe,
  startStripe,
  admin as stripeAdmin,
  stripeClient,
} from '../../test/helpers/sandbox-stripe.ts';
import {
  clients,
  createOrganization,
  type RunningTremendous,
  startTremendous,
  admin as tremendousAdmin,
} from '../../test/helpers/sandbox-tremendous.ts';

/**
 * `lostAnswerRate`: the call runs, then its answer is lost (what a caller sees when its
 * timeout fires while the service acts). A retry under the same key finds what was made.
 */

let stripeSandbox: RunningStripe;
let tremendousSandbox: RunningTremendous;

beforeAll(async () => {
  stripeSandbox = await startStripe();
  tremendousSandbox = await startTremendous();
});
afterAll(async () => {
  await stripeSandbox.close();
  await tremendousSandbox.close();
});

describe('lost answers', () => {
  it('Stripe: the credit is made, the caller gets a connection error, the retry replays it', async () => {
    const account = await createAccount(stripeSandbox.baseUrl);
    const stripe = stripeClient(stripeSandbox.port, account.secretKey);
    const customer = await stripe.customers.create({ email: 'lost@example.com' });
    const faults = await stripeAdmin<{ lostAnswerRate: number }>(
      stripeSandbox.baseUrl,
      'PUT',
      `/_admin/accounts/${account.id}/faults`,
      { lostAnswerRate: 1 },
    );
    expect(faults.lostAnswerRate).toBe(1);
    const params = { amount: -900, currency: 'usd', metadata: { reward_id: 'rwd_lost' } };
    const options = { idempotencyKey: 'reward-rwd_lost' };
    await expect(stripe.customers.createBalanceTransaction(customer.id, params, options)).rejects.toThrow(
      Stripe.errors.StripeConnectionError,
    );
    const counted = await stripeAdmin<{ faults: { answersLost: number } }>(
      stripeSandbox.baseUrl,
      'GET',
      `/_admin/accounts/${account.id}`,
    );
    expect(counted.faults.answersLost).toBeGreaterThanOrEqual(1);
    await stripeAdmin(stripeSandbox.baseUrl, 'DELETE', `/_admin/accounts/${account.id}/faults`);
    const retried = await stripe.customers.createBalanceTransaction(customer.id, params, options);
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    const list = await stripe.customers.listBalanceTransactions(customer.id);
    expect(list.data.map((transaction) => transaction.id)).toEqual([retried.id]);
    expect(((await stripe.customers.retrieve(customer.id)) as { balance: number }).balance).toBe(-900);
  });

  it('Tremendous: the order is placed and charged once; the retry with its external_id gets it', async () => {
    const organization = await createOrganization(tremendousSandbox.baseUrl, { balance: 100 });
    const { orders } = clients(organization);
    await tremendousAdmin(
      tremendousSandbox.baseUrl,
      'PUT',
      `/_admin/organizations/${organization.id}/faults`,
      {
        lostAnswerRate: 1,
      },
    );
    const order = {
      external_id: 'rwd_lost_order',
      payment: { funding_source_id: 'balance' },
      reward: {
        value: { denomination: 25, currency_code: 'USD' as const },
        products: ['OKMHM2X2OHYV'],
        recipient: { name: 'Lost', email: 'lost@example.com' },
        delivery: { method: 'EMAIL' as const },
      },
    };
    await expect(orders.createOrder(order)).rejects.toMatchObject({
      code: 'ECONNRESET',
      message: 'socket hang up',
    });
    await tremendousAdmin(
      tremendousSandbox.baseUrl,
      'DELETE',
      `/_admin/organizations/${organization.id}/faults`,
    );
    const retried = await orders.createOrder(order);
    expect(retried.status).toBe(201);
    const listed = await orders.listOrders();
    expect(listed.data.orders.map((placed) => placed.id)).toEqual([retried.data.order.id]);
    const summary = await tremendousAdmin<{ fundingSources: Array<{ method: string; available: number }> }>(
      tremendousSandbox.baseUrl,
      'GET',
      `/_admin/organizations/${organization.id}`,
    );
    expect(summary.fundingSources.find((source) => source.method === 'balance')?.available).toBe(75);
  });
});
