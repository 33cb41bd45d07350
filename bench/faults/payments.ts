import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { type Database, queryRows } from '../../src/db/client.ts';
import type { ApiClient } from '../../test/helpers/app.ts';
import { type Check, read } from './checks.ts';

/**
 * Rewards paid for real during a fault run: the referrer gets a Stripe customer balance
 * credit, the friend a Tremendous gift card, from the payment sandboxes of the harness's
 * sandbox process (which outlives every refsync crash, as Stripe and Tremendous do). After
 * settling, what moved is read from the sandboxes themselves and held against the ledger.
 */

export interface PaymentWiring {
  /** The sandbox process's root: the Stripe client calls `/v1` there. */
  stripeBase: string;
  stripe: { accountId: string; secretKey: string };
  /** `<root>/sandbox/tremendous`; its API is under `/api/v2`. */
  tremendousBase: string;
  tremendous: { organizationId: string; apiKey: string };
}

export const STRIPE_CREDIT = 1000;
export const TREMENDOUS_CARD = 2500;

async function adminPost<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

function stripeClient(payments: PaymentWiring): Stripe {
  const url = new URL(payments.stripeBase);
  return new Stripe(payments.stripe.secretKey, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    maxNetworkRetries: 3,
  });
}

/** The base URLs refsync must be allowed to send payout keys to (`REFSYNC_PAYOUT_BASE_URLS`). */
export function payoutBaseUrls(sandboxRoot: string): string {
  return `${sandboxRoot},${sandboxRoot}/sandbox/tremendous/api/v2`;
}

/**
 * A Stripe account with a customer per member, a funded Tremendous organization, the
 * program's payout settings, and the two rules.
 */
export async function wirePayments(
  api: ApiClient,
  sandboxRoot: string,
  programId: string,
  memberEmails: string[],
): Promise<PaymentWiring> {
  const account = await adminPost<{ id: string; secretKey: string }>(
    `${sandboxRoot}/sandbox/stripe/_admin/accounts`,
    { name: 'Faults' },
  );
  const tremendousBase = `${sandboxRoot}/sandbox/tremendous`;
  const organization = await adminPost<{ id: string; apiKey: string }>(
    `${tremendousBase}/_admin/organizations`,
    { name: 'Faults', currency: 'USD', balance: 10_000_000 },
  );
  const payments: PaymentWiring = {
    stripeBase: sandboxRoot,
    stripe: { accountId: account.id, secretKey: account.secretKey },
    tremendousBase,
    tremendous: { organizationId: organization.id, apiKey: organization.apiKey },
  };
  const stripe = stripeClient(payments);
  for (const email of memberEmails) await stripe.customers.create({ email });
  const settings = await api.request('PUT', `/api/v1/programs/${programId}/reward-settings`, {
    body: {
      stripe: { baseUrl: sandboxRoot, secretKey: account.secretKey },
      tremendous: {
        baseUrl: `${tremendousBase}/api/v2`,
        apiKey: organization.apiKey,
        productId: 'OKMHM2X2OHYV',
        fundingSourceId: 'balance',
      },
    },
  });
  if (settings.status !== 200) throw new Error(`reward settings: ${JSON.stringify(settings.body)}`);
  const rules = [
    { name: 'Referrer credit', recipient: 'referrer', amountMinor: STRIPE_CREDIT, fulfilment: 'stripe' },
    {
      name: 'Friend gift card',
      recipient: 'referred',
      amountMinor: TREMENDOUS_CARD,
      fulfilment: 'tremendous',
    },
  ];
  for (const rule of rules) {
    const created = await api.post('/api/v1/reward-rules', {
      programId,
      name: rule.name,
      milestone: 'won',
      recipient: rule.recipient,
      amount: { type: 'fixed', currency: 'usd', amountMinor: rule.amountMinor },
      fulfilment: rule.fulfilment,
    });
    if (created.status !== 201) throw new Error(`reward rule: ${JSON.stringify(created.body)}`);
  }
  return payments;
}

/**
 * Sets the same fault knobs on both payment sandboxes (`null`: back to none). Answers how
 * many answers both have lost so far (before a reset clears the count).
 */
export async function paymentFaults(
  payments: PaymentWiring,
  knobs: Record<string, number> | null,
): Promise<number> {
  const targets = [
    `${payments.stripeBase}/sandbox/stripe/_admin/accounts/${payments.stripe.accountId}/faults`,
    `${payments.tremendousBase}/_admin/organizations/${payments.tremendous.organizationId}/faults`,
  ];
  let lost = 0;
  for (const url of targets) {
    const before = await fetch(url.replace(/\/faults$/, ''));
    lost += ((await before.json()) as { faults?: { answersLost?: number } }).faults?.answersLost ?? 0;
    const response = await fetch(url, {
      method: knobs ? 'PUT' : 'DELETE',
      ...(knobs ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(knobs) } : {}),
    });
    if (!response.ok) throw new Error(`payment faults: ${response.status} ${await response.text()}`);
  }
  return lost;
}

/** One payment a sandbox holds: which reward it pays, how much, and what refsync should have recorded. */
interface Payment {
  rewardId: string;
  provider: 'stripe' | 'tremendous';
  amountMinor: number;
  currency: string;
  ref: string;
}

async function stripePayments(payments: PaymentWiring): Promise<Payment[]> {
  const stripe = stripeClient(payments);
  const found: Payment[] = [];
  for await (const customer of stripe.customers.list({ limit: 100 })) {
    for await (const transaction of stripe.customers.listBalanceTransactions(customer.id, { limit: 100 })) {
      found.push({
        rewardId: transaction.metadata?.refsync_reward_id ?? `(none) ${transaction.id}`,
        provider: 'stripe',
        amountMinor: -transaction.amount,
        currency: transaction.currency.toUpperCase(),
        ref: `${customer.id}/${transaction.id}`,
      });
    }
  }
  return found;
}

async function tremendousPayments(payments: PaymentWiring): Promise<Payment[]> {
  const found: Payment[] = [];
  for (let offset = 0; ; offset += 500) {
    const response = await read(`${payments.tremendousBase}/api/v2/orders?limit=500&offset=${offset}`, {
      headers: { authorization: `Bearer ${payments.tremendous.apiKey}` },
    });
    if (!response.ok) throw new Error(`Tremendous orders: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as {
      orders: Array<{
        id: string;
        external_id: string | null;
        rewards: Array<{ value: { denomination: number; currency_code: string } }>;
      }>;
      total_count: number;
    };
    for (const order of page.orders) {
      for (const reward of order.rewards) {
        found.push({
          rewardId: order.external_id ?? `(none) ${order.id}`,
          provider: 'tremendous',
          amountMinor: Math.round(reward.value.denomination * 100),
          currency: reward.value.currency_code,
          ref: order.id,
        });
      }
    }
    if (page.orders.length === 0 || offset + page.orders.length >= page.total_count) break;
  }
  return found;
}

interface LedgerReward {
  id: string;
  status: string;
  amount: number;
  currency: string | null;
  fulfilment: 'stripe' | 'tremendous';
  fulfilment_ref: string | null;
  needs_manual_approval: boolean;
  hold_until: string | null;
}

/**
 * What moved, per reward, from the sandboxes' own records, against the ledger: no reward paid
 * twice, every reward paid (bar those legitimately waiting for a person or a hold), and every
 * payment of the amount, currency and reference the ledger shows for a paid reward.
 */
export async function checkPayments(
  database: Database,
  payments: PaymentWiring,
): Promise<{ checks: Check[]; summary: string }> {
  const ledger = await queryRows<LedgerReward>(
    database.db,
    sql.raw(
      "select id, status, amount, currency, fulfilment, fulfilment_ref, needs_manual_approval, hold_until::text from rewards where fulfilment in ('stripe', 'tremendous') and status <> 'canceled'",
    ),
  );
  const moved = [...(await stripePayments(payments)), ...(await tremendousPayments(payments))];
  const byReward = new Map<string, Payment[]>();
  for (const payment of moved)
    byReward.set(payment.rewardId, [...(byReward.get(payment.rewardId) ?? []), payment]);
  const rewards = new Map(ledger.map((reward) => [reward.id, reward]));
  const waiting = ledger.filter(
    (reward) => reward.status === 'pending' && (reward.needs_manual_approval || reward.hold_until !== null),
  );
  const unpaid = ledger.filter(
    (reward) => !waiting.includes(reward) && (reward.status !== 'paid' || !byReward.has(reward.id)),
  );
  const unlike = moved.filter((payment) => {
    const reward = rewards.get(payment.rewardId);
    return (
      reward?.status !== 'paid' ||
      reward.fulfilment !== payment.provider ||
      reward.amount !== payment.amountMinor ||
      reward.currency !== payment.currency ||
      reward.fulfilment_ref !== payment.ref
    );
  });
  const count = (provider: string) => moved.filter((payment) => payment.provider === provider).length;
  const statuses = new Map<string, number>();
  for (const reward of unpaid) statuses.set(reward.status, (statuses.get(reward.status) ?? 0) + 1);
  return {
    summary:
      `payments: ${count('stripe')} Stripe credits, ${count('tremendous')} Tremendous orders for ${ledger.length} rewards` +
      (waiting.length > 0 ? `; ${waiting.length} waiting for a person or a hold` : '') +
      (unpaid.length > 0
        ? `; not paid: ${[...statuses].map(([status, n]) => `${status} ${n}`).join(', ')} (${unpaid
            .slice(0, 3)
            .map((reward) => reward.id)
            .join(', ')})`
        : ''),
    checks: [
      {
        name: 'rewards paid twice',
        tried: byReward.size,
        found: [...byReward.values()].filter((list) => list.length > 1).length,
        expected: 0,
      },
      { name: 'rewards not paid', tried: ledger.length - waiting.length, found: unpaid.length, expected: 0 },
      { name: 'payments unlike the ledger', tried: moved.length, found: unlike.length, expected: 0 },
    ],
  };
}
