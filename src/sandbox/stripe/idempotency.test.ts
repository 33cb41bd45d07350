import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  type RunningStripe,
  startStripeWithAccount,
  stripeClient,
  stripeError,
} from '../../../test/helpers/sandbox-stripe.ts';

let sandbox: RunningStripe;
let stripe: ReturnType<typeof stripeClient>;

beforeAll(async () => {
  ({ sandbox, stripe } = await startStripeWithAccount());
});
afterAll(() => sandbox.close());

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and params, and credits once', async () => {
    const customer = await stripe.customers.create({ email: 'idem@example.com' });
    const params = { amount: -700, currency: 'usd', metadata: { reward_id: 'rwd_7' } };
    const first = await stripe.customers.createBalanceTransaction(customer.id, params, {
      idempotencyKey: 'reward-rwd_7',
    });
    const again = await stripe.customers.createBalanceTransaction(customer.id, params, {
      idempotencyKey: 'reward-rwd_7',
    });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect((await stripe.customers.retrieve(customer.id)) as { balance: number }).toMatchObject({
      balance: -700,
    });
    expect((await stripe.customers.listBalanceTransactions(customer.id)).data).toHaveLength(1);
  });

  it('refuses the same key with other params, and changes nothing', async () => {
    const customer = await stripe.customers.create({ email: 'mismatch@example.com' });
    await stripe.customers.createBalanceTransaction(
      customer.id,
      { amount: -100, currency: 'usd' },
      { idempotencyKey: 'k-mismatch' },
    );
    const error = await stripeError(
      stripe.customers.createBalanceTransaction(
        customer.id,
        { amount: -900, currency: 'usd' },
        { idempotencyKey: 'k-mismatch' },
      ),
    );
    expect(error.type).toBe('StripeIdempotencyError');
    expect(error).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });
    expect(error.message).toContain('same parameters');
    expect((await stripe.customers.retrieve(customer.id)) as { balance: number }).toMatchObject({
      balance: -100,
    });
  });

  it('refuses a key first used on another endpoint', async () => {
    const customer = await stripe.customers.create(
      { email: 'endpoint@example.com' },
      { idempotencyKey: 'k-endpoint' },
    );
    const error = await stripeError(
      stripe.customers.createBalanceTransaction(
        customer.id,
        { amount: -1, currency: 'usd' },
        { idempotencyKey: 'k-endpoint' },
      ),
    );
    expect(error).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });
    expect(error.message).toContain('same endpoint');
  });

  it('does not save a parameter error: the fixed call with the same key runs', async () => {
    const customer = await stripe.customers.create({ email: 'fixed@example.com' });
    await stripeError(
      stripe.customers.createBalanceTransaction(customer.id, { currency: 'usd' } as never, {
        idempotencyKey: 'k-fix',
      }),
    );
    const fixed = await stripe.customers.createBalanceTransaction(
      customer.id,
      { amount: -3, currency: 'usd' },
      { idempotencyKey: 'k-fix' },
    );
    expect(fixed.amount).toBe(-3);
  });

  it('keeps keys per account: another account may use the same key', async () => {
    const other = stripeClient(sandbox.port, (await createAccount(sandbox.baseUrl, 'Other')).secretKey);
    const mine = await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'shared-key' });
    const theirs = await other.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'shared-key' });
    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.email).toBe('b@example.com');
  });
});
