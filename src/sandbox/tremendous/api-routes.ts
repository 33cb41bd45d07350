import type { FastifyInstance } from 'fastify';
import { fundingSourceJson, organizationOf, sendJson, type TremendousContext, toAmount } from './context.ts';
import { notFound, TremendousError } from './errors.ts';
import { orderFingerprint, parseOrderInput } from './order-input.ts';
import { filterProducts, findProduct } from './products.ts';
import { findFundingSource, type OrderJson, type OrderState, tremendousId } from './state.ts';

/**
 * Tremendous REST v2 as the official `tremendous` client calls it (paths relative to its
 * `basePath`, which ends in `/api/v2`). Orders execute at once: the funding source is
 * charged and the reward is scheduled for delivery; nothing is ever delivered.
 */

type IdParams = { id: string };
type ListQuery = { offset?: string; limit?: string; external_id?: string };

export function registerApiRoutes(app: FastifyInstance, context: TremendousContext): void {
  const { keeper } = context;

  app.post('/api/v2/orders', async (request, reply) => {
    const organization = organizationOf(request);
    const input = parseOrderInput(request.body, organization.currency);
    const source = findFundingSource(organization, input.fundingSourceId);
    if (source === undefined) {
      throw new TremendousError(400, 'Order failed: validation failure', {
        payment: { funding_source_id: `Unknown funding source ${input.fundingSourceId}` },
      });
    }
    const fingerprint = orderFingerprint(input, source.id);
    if (input.externalId !== null) {
      const existing = organization.orders.find(
        (candidate) => candidate.order.external_id === input.externalId,
      );
      if (existing !== undefined) {
        if (existing.fingerprint !== fingerprint) {
          throw new TremendousError(
            409,
            'An order with this external_id already exists with different parameters',
            {
              external_id: `Order ${existing.order.id} already uses external_id ${input.externalId}`,
            },
          );
        }
        return sendJson(reply, 201, { order: existing.order });
      }
    }
    const cents = Math.round(input.denomination * 100);
    if (source.availableCents < cents) {
      throw new TremendousError(402, 'Insufficient funds to place this order', {
        payment: {
          funding_source_id: `Funding source ${source.id} has ${toAmount(source.availableCents).toFixed(2)} ${organization.currency} available; the order needs ${toAmount(cents).toFixed(2)} ${organization.currency}.`,
        },
      });
    }
    const orderId = tremendousId();
    const rewardId = tremendousId();
    const createdAt = new Date().toISOString();
    const order: OrderJson = {
      id: orderId,
      external_id: input.externalId,
      campaign_id: null,
      created_at: createdAt,
      status: 'EXECUTED',
      channel: 'API',
      payment: {
        subtotal: input.denomination,
        total: input.denomination,
        fees: 0,
        discount: 0,
        currency_code: organization.currency,
      },
      rewards: [
        {
          id: rewardId,
          order_id: orderId,
          created_at: createdAt,
          expires_at: null,
          value: { denomination: input.denomination, currency_code: input.currencyCode },
          recipient: input.recipient,
          ...(input.deliverAt === undefined ? {} : { deliver_at: input.deliverAt }),
          custom_fields: input.customFields.map((field) => ({ ...field, label: field.id })),
          delivery:
            input.deliveryMethod === 'LINK'
              ? {
                  method: 'LINK',
                  status: 'SUCCEEDED',
                  link: `${context.baseUrl(request)}/_ui/organizations/${organization.id}#${rewardId}`,
                }
              : { method: input.deliveryMethod, status: 'SCHEDULED' },
        },
      ],
    };
    source.availableCents -= cents;
    const stored: OrderState = { order, fundingSourceId: source.id, products: input.products, fingerprint };
    organization.orders.push(stored);
    keeper.changed();
    return sendJson(reply, 200, { order });
  });

  app.get<{ Params: IdParams }>('/api/v2/orders/:id', async (request, reply) => {
    const { id } = request.params;
    const found = organizationOf(request).orders.find(
      (candidate) => candidate.order.id === id || candidate.order.external_id === id,
    );
    if (found === undefined) throw notFound('Order', id);
    return sendJson(reply, 200, { order: found.order });
  });

  app.get<{ Querystring: ListQuery }>('/api/v2/orders', async (request, reply) => {
    const offset = Number(request.query.offset ?? 0);
    const limit = Number(request.query.limit ?? 10);
    if (!Number.isInteger(offset) || offset < 0)
      throw new TremendousError(400, 'Invalid offset', { offset: 'must be an integer of at least 0' });
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new TremendousError(400, 'Invalid limit', { limit: 'must be an integer from 1 to 500' });
    const externalId = request.query.external_id;
    const all = organizationOf(request)
      .orders.filter((candidate) => externalId === undefined || candidate.order.external_id === externalId)
      .map((candidate) => candidate.order)
      .reverse();
    return sendJson(reply, 200, { orders: all.slice(offset, offset + limit), total_count: all.length });
  });

  app.get('/api/v2/funding_sources', async (request, reply) => {
    const organization = organizationOf(request);
    return sendJson(reply, 200, {
      funding_sources: organization.fundingSources.map((source) => fundingSourceJson(organization, source)),
    });
  });

  app.get<{ Params: IdParams }>('/api/v2/funding_sources/:id', async (request, reply) => {
    const organization = organizationOf(request);
    const source = findFundingSource(organization, request.params.id);
    if (source === undefined) throw notFound('Funding source', request.params.id);
    return sendJson(reply, 200, { funding_source: fundingSourceJson(organization, source) });
  });

  app.get<{ Querystring: Record<string, unknown> }>('/api/v2/products', async (request, reply) =>
    sendJson(reply, 200, { products: filterProducts(request.query) }),
  );

  app.get<{ Params: IdParams }>('/api/v2/products/:id', async (request, reply) => {
    const product = findProduct(request.params.id);
    if (product === undefined) throw notFound('Product', request.params.id);
    return sendJson(reply, 200, { product });
  });
}
