/**
 * The sandbox's product catalog: a few products shaped like Tremendous's, enough to pick
 * one for a reward and to meet the denomination and currency checks an order goes through.
 */
export interface Product {
  id: string;
  name: string;
  description: string;
  category: 'merchant_card' | 'visa_card' | 'charity' | 'paypal';
  subcategory?: string;
  disclosure: string;
  skus: Array<{ min: number; max: number }>;
  currency_codes: string[];
  countries: Array<{ abbr: string }>;
  images: Array<{ src: string; type: 'card' | 'logo'; content_type: string | null }>;
  usage_instructions?: string;
}

const SANDBOX_DISCLOSURE = 'Sandbox product: no real gift card, card or donation is issued.';

export const PRODUCTS: readonly Product[] = [
  {
    id: 'OKMHM2X2OHYV',
    name: 'Amazon.com',
    description: 'Amazon.com gift card (sandbox).',
    category: 'merchant_card',
    subcategory: 'general_merchandise',
    disclosure: SANDBOX_DISCLOSURE,
    skus: [{ min: 1, max: 2000 }],
    currency_codes: ['USD'],
    countries: [{ abbr: 'US' }],
    images: [],
    usage_instructions: 'Redeem at amazon.com (sandbox: nothing to redeem).',
  },
  {
    id: 'Q24BD9EZ332JT',
    name: 'Virtual Visa',
    description: 'Virtual Visa debit card (sandbox).',
    category: 'visa_card',
    disclosure: SANDBOX_DISCLOSURE,
    skus: [{ min: 5, max: 2000 }],
    currency_codes: ['USD', 'CAD'],
    countries: [{ abbr: 'US' }, { abbr: 'CA' }],
    images: [],
  },
  {
    id: 'ESRNAD533W5A',
    name: 'Save the Children',
    description: 'Donation to Save the Children (sandbox).',
    category: 'charity',
    disclosure: SANDBOX_DISCLOSURE,
    skus: [{ min: 1, max: 10000 }],
    currency_codes: ['USD', 'EUR', 'GBP'],
    countries: [{ abbr: 'US' }, { abbr: 'DE' }, { abbr: 'GB' }, { abbr: 'FR' }],
    images: [],
  },
  {
    id: 'PAYPALSNDBX1',
    name: 'PayPal',
    description: 'Payout to a PayPal account (sandbox).',
    category: 'paypal',
    disclosure: SANDBOX_DISCLOSURE,
    skus: [{ min: 1, max: 5000 }],
    currency_codes: ['USD', 'EUR', 'GBP', 'CAD'],
    countries: [{ abbr: 'US' }, { abbr: 'DE' }, { abbr: 'GB' }, { abbr: 'CA' }],
    images: [],
  },
];

export function findProduct(id: string): Product | undefined {
  return PRODUCTS.find((product) => product.id === id);
}

const csv = (value: unknown) =>
  typeof value === 'string' && value.trim() !== ''
    ? value.split(',').map((part) => part.trim().toUpperCase())
    : null;

/** `GET /products` filters: comma-separated countries, currencies and subcategories. */
export function filterProducts(query: Record<string, unknown>): Product[] {
  const countries = csv(query.country);
  const currencies = csv(query.currency);
  const subcategories = csv(query.subcategory);
  return PRODUCTS.filter(
    (product) =>
      (countries === null || product.countries.some((country) => countries.includes(country.abbr))) &&
      (currencies === null || product.currency_codes.some((code) => currencies.includes(code))) &&
      (subcategories === null || subcategories.includes((product.subcategory ?? '').toUpperCase())),
  );
}
