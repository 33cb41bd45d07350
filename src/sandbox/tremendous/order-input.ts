import { type ErrorPayload, TremendousError } from './errors.ts';
import { findProduct } from './products.ts';

/** A create-order body, checked field by field the way Tremendous reports it. */
export interface OrderInput {
  externalId: string | null;
  fundingSourceId: string;
  products: string[];
  denomination: number;
  currencyCode: string;
  recipient: { name: string | null; email?: string; phone?: string };
  deliveryMethod: 'EMAIL' | 'LINK' | 'PHONE';
  deliverAt?: string;
  customFields: Array<{ id: string; value: string | null }>;
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Collects every problem before answering, so one answer names all of them. */
class Problems {
  missing = false;
  invalid = false;
  readonly payload: ErrorPayload = {};

  add(path: string[], message: string, kind: 'missing' | 'invalid'): void {
    if (kind === 'missing') this.missing = true;
    else this.invalid = true;
    let node = this.payload;
    path.slice(0, -1).forEach((segment) => {
      const next = node[segment];
      if (typeof next === 'object') node = next;
      else {
        const child: ErrorPayload = {};
        node[segment] = child;
        node = child;
      }
    });
    node[path.at(-1) ?? 'body'] = message;
  }
}

export function parseOrderInput(body: unknown, organizationCurrency: string): OrderInput {
  const problems = new Problems();
  const root = asObject(body) ?? {};
  const externalId = root.external_id;
  if (
    externalId !== undefined &&
    externalId !== null &&
    (typeof externalId !== 'string' || externalId === '')
  ) {
    problems.add(['external_id'], 'external_id must be a non-empty string', 'invalid');
  }
  const fundingSourceId = asObject(root.payment)?.funding_source_id;
  if (typeof fundingSourceId !== 'string' || fundingSourceId === '') {
    problems.add(
      ['payment', 'funding_source_id'],
      'Your request was missing a funding_source_id. Tremendous requires this to determine how to pay for your order.',
      'missing',
    );
  }
  const reward = asObject(root.reward);
  if (reward === undefined) problems.add(['reward'], 'reward is required', 'missing');
  const products = reward?.products;
  const productIds = Array.isArray(products)
    ? products.filter((id): id is string => typeof id === 'string')
    : [];
  if (reward !== undefined && productIds.length === 0) {
    const why =
      reward.campaign_id !== undefined
        ? 'campaigns are not modelled by the sandbox: give products'
        : 'products is required';
    problems.add(['reward', 'products'], why, 'missing');
  }
  const value = asObject(reward?.value);
  const denomination = value?.denomination;
  const currencyCode =
    typeof value?.currency_code === 'string' ? value.currency_code.toUpperCase() : organizationCurrency;
  if (reward !== undefined && typeof denomination !== 'number') {
    problems.add(['reward', 'value', 'denomination'], 'denomination is required', 'missing');
  } else if (
    typeof denomination === 'number' &&
    (!(denomination > 0) || Math.round(denomination * 100) !== denomination * 100)
  ) {
    problems.add(
      ['reward', 'value', 'denomination'],
      'denomination must be a positive amount with at most two decimals',
      'invalid',
    );
  }
  if (currencyCode !== organizationCurrency) {
    problems.add(
      ['reward', 'value', 'currency_code'],
      `The sandbox prices rewards only in the organization's currency (${organizationCurrency})`,
      'invalid',
    );
  }
  for (const [index, id] of productIds.entries()) {
    const product = findProduct(id);
    if (product === undefined) {
      problems.add(['reward', 'products', String(index)], `Unknown product ${id}`, 'invalid');
    } else if (!product.currency_codes.includes(currencyCode)) {
      problems.add(
        ['reward', 'products', String(index)],
        `${product.name} is not available in ${currencyCode}`,
        'invalid',
      );
    } else if (
      typeof denomination === 'number' &&
      !product.skus.some((sku) => denomination >= sku.min && denomination <= sku.max)
    ) {
      problems.add(
        ['reward', 'products', String(index)],
        `${product.name} does not accept a denomination of ${denomination}`,
        'invalid',
      );
    }
  }
  const recipientJson = asObject(reward?.recipient);
  const method = asObject(reward?.delivery)?.method ?? 'EMAIL';
  if (method !== 'EMAIL' && method !== 'LINK' && method !== 'PHONE') {
    problems.add(['reward', 'delivery', 'method'], 'method must be one of EMAIL, LINK, PHONE', 'invalid');
  }
  const email = recipientJson?.email;
  const phone = recipientJson?.phone;
  if (method === 'EMAIL' && (typeof email !== 'string' || email === '')) {
    problems.add(['reward', 'recipient', 'email'], 'email is required for delivery by EMAIL', 'missing');
  } else if (email !== undefined && (typeof email !== 'string' || !EMAIL.test(email))) {
    problems.add(['reward', 'recipient', 'email'], 'email is not a valid email address', 'invalid');
  }
  if (method === 'PHONE' && (typeof phone !== 'string' || phone === '')) {
    problems.add(['reward', 'recipient', 'phone'], 'phone is required for delivery by PHONE', 'missing');
  }
  if (problems.invalid || problems.missing) {
    throw new TremendousError(
      problems.invalid ? 400 : 422,
      'Order failed: validation failure',
      problems.payload,
    );
  }
  const name = recipientJson?.name;
  const customFields = Array.isArray(reward?.custom_fields) ? reward.custom_fields : [];
  return {
    externalId: typeof externalId === 'string' ? externalId : null,
    fundingSourceId: fundingSourceId as string,
    products: productIds,
    denomination: denomination as number,
    currencyCode,
    recipient: {
      name: typeof name === 'string' ? name : null,
      ...(typeof email === 'string' ? { email } : {}),
      ...(typeof phone === 'string' ? { phone } : {}),
    },
    deliveryMethod: method as OrderInput['deliveryMethod'],
    ...(typeof reward?.deliver_at === 'string' ? { deliverAt: reward.deliver_at } : {}),
    customFields: customFields.flatMap((field) => {
      const entry = asObject(field);
      return typeof entry?.id === 'string'
        ? [{ id: entry.id, value: typeof entry.value === 'string' ? entry.value : null }]
        : [];
    }),
  };
}

/** Canonical text of an order request: key order and the `balance` keyword's case do not matter. */
export function orderFingerprint(input: OrderInput, resolvedFundingSourceId: string): string {
  return JSON.stringify([
    resolvedFundingSourceId,
    input.products,
    input.denomination,
    input.currencyCode,
    input.recipient.name,
    input.recipient.email ?? null,
    input.recipient.phone ?? null,
    input.deliveryMethod,
    input.deliverAt ?? null,
    input.customFields,
  ]);
}
