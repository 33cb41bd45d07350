import Stripe from 'stripe';
import type { FulfilmentProvider, PayoutInput, PayoutResult } from './types.ts';

function clientFor(baseUrl: string, secretKey: string): Stripe {
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(secretKey, {
    host: url.hostname,
    port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port),
    protocol,
    // Retries are the job queue's, under the same idempotency key.
    maxNetworkRetries: 0,
    timeout: 20_000,
  });
}

function failure(error: unknown): PayoutResult {
  if (error instanceof Stripe.errors.StripeError) {
    const retryable =
      error instanceof Stripe.errors.StripeConnectionError ||
      error instanceof Stripe.errors.StripeRateLimitError ||
      error instanceof Stripe.errors.StripeAPIError;
    return { outcome: 'failed', reason: `Stripe: ${error.message}`, retryable };
  }
  return { outcome: 'failed', reason: `Stripe: ${String(error)}`, retryable: true };
}

/** The customer to credit: the member's stored Stripe customer ID, else the one with the email. */
async function findCustomer(stripe: Stripe, input: PayoutInput): Promise<string | PayoutResult> {
  const field = input.settings?.stripeCustomerField ?? 'stripeCustomerId';
  const stored = input.reward.recipient === 'referrer' ? input.member?.customFields[field] : undefined;
  if (typeof stored === 'string' && stored !== '') return stored;
  const email = input.reward.recipientEmail;
  if (!email)
    return {
      outcome: 'failed',
      reason: 'Stripe: the recipient has no email and no customer ID',
      retryable: false,
    };
  for (const candidate of new Set([email, email.toLowerCase()])) {
    const found = await stripe.customers.list({ email: candidate, limit: 1 });
    const customer = found.data[0];
    if (customer) return customer.id;
  }
  return {
    outcome: 'failed',
    reason: `Stripe: no customer has the email ${email} (store the customer ID in the member field ${field})`,
    retryable: false,
  };
}

/**
 * The credit an earlier attempt made for this reward, found by its metadata: newest first,
 * back to the reward's creation (no credit for it can be older). Stripe keeps an idempotency
 * key for 24 hours only, so a retry after that (a failed reward retried days later, a worker
 * that lost the answer) would otherwise credit the customer a second time.
 */
async function earlierCredit(
  stripe: Stripe,
  customer: string,
  reward: PayoutInput['reward'],
): Promise<string | undefined> {
  const since = Math.floor(reward.createdAt.getTime() / 1000) - 60;
  for await (const transaction of stripe.customers.listBalanceTransactions(customer, {
    limit: 100,
    created: { gte: since },
  })) {
    if (transaction.metadata?.refsync_reward_id === reward.id) return transaction.id;
  }
  return undefined;
}

/**
 * A credit on the recipient's Stripe customer balance: a negative balance transaction, which
 * Stripe takes off the customer's next invoices. The idempotency key is the reward and the
 * customer, so a retry after a crash replays the first answer instead of crediting twice;
 * past Stripe's 24 hours for that key, a retry finds the credit by its metadata first.
 */
export const stripeProvider: FulfilmentProvider = {
  method: 'stripe',
  pay: async (input) => {
    const { ctx, reward, settings } = input;
    if (!settings?.stripeBaseUrl || !settings.stripeKeySealed) {
      return { outcome: 'failed', reason: 'Stripe is not set up for this program', retryable: false };
    }
    if (!reward.currency) {
      return {
        outcome: 'failed',
        reason: 'Stripe credits need a currency amount, not points',
        retryable: false,
      };
    }
    const stripe = clientFor(settings.stripeBaseUrl, ctx.secrets.open(settings.stripeKeySealed));
    try {
      const customer = await findCustomer(stripe, input);
      if (typeof customer !== 'string') return customer;
      // A first attempt has nothing to find; any later one looks before it credits.
      if (reward.attempts > 1) {
        const made = await earlierCredit(stripe, customer, reward);
        if (made) return { outcome: 'paid', ref: `${customer}/${made}` };
      }
      const transaction = await stripe.customers.createBalanceTransaction(
        customer,
        {
          amount: -reward.amount,
          currency: reward.currency.toLowerCase(),
          description: `Referral reward ${reward.id}`,
          metadata: { refsync_reward_id: reward.id, refsync_referral_id: reward.referralId },
        },
        { idempotencyKey: `refsync-reward-${reward.id}-${customer}` },
      );
      return { outcome: 'paid', ref: `${customer}/${transaction.id}` };
    } catch (error) {
      return failure(error);
    }
  },
};
