import type { FastifyInstance } from 'fastify';
import { randomChars } from '../json-state.ts';
import {
  accountOf,
  allowOnly,
  applyMetadata,
  integerParam,
  listPage,
  newId,
  nowSeconds,
  paramsOf,
  type StripeContext,
  sendStripe,
  stringParam,
} from './context.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { answerIdempotently } from './idempotency.ts';
import { matchesQuery, offsetOf, pageToken, parseCustomerQuery } from './search.ts';
import type { AccountState, Customer } from './state.ts';

const CREATE_PARAMS = ['email', 'name', 'description', 'phone', 'metadata', 'balance'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Newest first, as Stripe lists them. */
function customersOf(account: AccountState): Customer[] {
  return Object.values(account.customers).reverse();
}

export function customerOr404(account: AccountState, id: string, param = 'id'): Customer {
  const customer = Object.hasOwn(account.customers, id) ? account.customers[id] : undefined;
  if (customer === undefined) throw noSuch('customer', id, param);
  return customer;
}

export function registerCustomerRoutes(app: FastifyInstance, context: StripeContext): void {
  const { keeper } = context;

  app.post('/v1/customers', async (request, reply) => {
    const params = paramsOf(request);
    allowOnly(params, CREATE_PARAMS);
    const email = stringParam(params, 'email') ?? null;
    if (email !== null && !EMAIL.test(email)) {
      throw invalidRequest(`Invalid email address: ${email}`, 'email', 'email_invalid');
    }
    const customer: Customer = {
      id: newId('cus'),
      object: 'customer',
      address: null,
      balance: integerParam(params, 'balance') ?? 0,
      created: nowSeconds(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: stringParam(params, 'description') ?? null,
      discount: null,
      email,
      invoice_prefix: randomChars(8, 'ABCDEF0123456789'),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: applyMetadata(params, {}),
      name: stringParam(params, 'name') ?? null,
      next_invoice_sequence: 1,
      phone: stringParam(params, 'phone') ?? null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    return answerIdempotently(keeper, request, reply, params, () => {
      const account = accountOf(request);
      account.customers[customer.id] = customer;
      keeper.changed();
      return { statusCode: 200, body: customer };
    });
  });

  app.get('/v1/customers', async (request, reply) => {
    const params = paramsOf(request);
    allowOnly(params, ['email', 'limit', 'starting_after', 'ending_before', 'created', 'test_clock']);
    const email = stringParam(params, 'email');
    if (email !== undefined && email !== null && email.length > 512) {
      throw invalidRequest('email can be up to 512 characters long.', 'email');
    }
    // Stripe's list filter on email is exact and case-sensitive (search is not).
    const all = customersOf(accountOf(request)).filter(
      (customer) => typeof email !== 'string' || customer.email === email,
    );
    const page = listPage(all, params, '/v1/customers', 'customer');
    return sendStripe(reply, 200, JSON.stringify(page));
  });

  app.get('/v1/customers/search', async (request, reply) => {
    const params = paramsOf(request);
    allowOnly(params, ['query', 'limit', 'page']);
    const clauses = parseCustomerQuery(stringParam(params, 'query') ?? '');
    const limit = integerParam(params, 'limit') ?? 10;
    if (limit < 1 || limit > 100)
      throw invalidRequest('This value must be between 1 and 100 (limit).', 'limit');
    const offset = offsetOf(stringParam(params, 'page'));
    const hits = customersOf(accountOf(request)).filter((customer) => matchesQuery(customer, clauses));
    const hasMore = offset + limit < hits.length;
    return sendStripe(
      reply,
      200,
      JSON.stringify({
        object: 'search_result',
        data: hits.slice(offset, offset + limit),
        has_more: hasMore,
        next_page: hasMore ? pageToken(offset + limit) : null,
        url: '/v1/customers/search',
      }),
    );
  });

  app.get<{ Params: { id: string } }>('/v1/customers/:id', async (request, reply) => {
    allowOnly(paramsOf(request), []);
    const customer = customerOr404(accountOf(request), request.params.id);
    return sendStripe(reply, 200, JSON.stringify(customer));
  });
}
