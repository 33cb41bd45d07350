import type { FastifyInstance } from 'fastify';
import {
  accountOf,
  allowOnly,
  applyMetadata,
  integerParam,
  listPage,
  newId,
  nowSeconds,
  paramsOf,
  requireParam,
  type StripeContext,
  sendStripe,
  stringParam,
} from './context.ts';
import { customerOr404 } from './customer-routes.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { answerIdempotently } from './idempotency.ts';
import type { BalanceTransaction } from './state.ts';

/**
 * Customer balance transactions: `amount` in the currency's minor unit, negative credits
 * the customer (their `balance` goes below zero: money Stripe will take off their next
 * invoices). The first transaction fixes the customer's currency when it has none.
 */

const CREATE_PARAMS = ['amount', 'currency', 'description', 'metadata'] as const;
type CustomerParams = { customer: string };

export function registerBalanceRoutes(app: FastifyInstance, context: StripeContext): void {
  const { keeper } = context;

  app.post<{ Params: CustomerParams }>(
    '/v1/customers/:customer/balance_transactions',
    async (request, reply) => {
      const params = paramsOf(request);
      allowOnly(params, CREATE_PARAMS);
      const amount = requireParam(integerParam(params, 'amount'), 'amount');
      const currency = requireParam(stringParam(params, 'currency'), 'currency').toLowerCase();
      if (!/^[a-z]{3}$/.test(currency)) {
        throw invalidRequest(
          `Invalid currency: ${currency}. Use a three-letter ISO currency code.`,
          'currency',
        );
      }
      const description = stringParam(params, 'description') ?? null;
      const metadata = applyMetadata(params, {});
      return answerIdempotently(keeper, request, reply, params, () => {
        const account = accountOf(request);
        const customer = customerOr404(account, request.params.customer, 'customer');
        if (customer.currency !== null && customer.currency !== currency) {
          throw invalidRequest(
            `The currency of a customer balance transaction must match the customer's currency (${customer.currency}); got ${currency}.`,
            'currency',
          );
        }
        customer.currency = currency;
        customer.balance += amount;
        const transaction: BalanceTransaction = {
          id: newId('cbtxn', 24),
          object: 'customer_balance_transaction',
          amount,
          checkout_session: null,
          created: nowSeconds(),
          credit_note: null,
          currency,
          customer: customer.id,
          description,
          ending_balance: customer.balance,
          invoice: null,
          livemode: false,
          metadata,
          type: 'adjustment',
        };
        const list = account.balanceTransactions[customer.id] ?? [];
        list.push(transaction);
        account.balanceTransactions[customer.id] = list;
        keeper.changed();
        return { statusCode: 200, body: transaction };
      });
    },
  );

  app.get<{ Params: CustomerParams }>(
    '/v1/customers/:customer/balance_transactions',
    async (request, reply) => {
      const params = paramsOf(request);
      allowOnly(params, ['limit', 'starting_after', 'ending_before', 'created', 'invoice']);
      const account = accountOf(request);
      const customer = customerOr404(account, request.params.customer, 'customer');
      const all = [...(account.balanceTransactions[customer.id] ?? [])].reverse();
      const url = `/v1/customers/${customer.id}/balance_transactions`;
      return sendStripe(
        reply,
        200,
        JSON.stringify(listPage(all, params, url, 'customer balance transaction')),
      );
    },
  );

  app.get<{ Params: CustomerParams & { id: string } }>(
    '/v1/customers/:customer/balance_transactions/:id',
    async (request, reply) => {
      allowOnly(paramsOf(request), []);
      const account = accountOf(request);
      const customer = customerOr404(account, request.params.customer, 'customer');
      const found = (account.balanceTransactions[customer.id] ?? []).find(
        (transaction) => transaction.id === request.params.id,
      );
      if (found === undefined) throw noSuch('customer balance transaction', request.params.id, 'id');
      return sendStripe(reply, 200, JSON.stringify(found));
    },
  );
}
