import type { StoredKey } from '../api-keys.ts';
import { JsonStateKeeper } from '../json-state.ts';
import type { PaymentFaults } from '../payment-faults.ts';
import type { SandboxStore } from '../store.ts';

/**
 * Everything the Stripe sandbox keeps between restarts: accounts, each with its secret keys
 * (hashes only), fault knobs, customers, their balance transactions and the answers saved
 * for idempotency keys.
 */
export interface StripeState {
  version: 1;
  accounts: AccountState[];
}

export type AccountFaults = PaymentFaults;

export interface Customer {
  id: string;
  object: 'customer';
  address: null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: null;
  delinquent: boolean;
  description: string | null;
  discount: null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: {
    custom_fields: null;
    default_payment_method: null;
    footer: null;
    rendering_options: null;
  };
  livemode: false;
  metadata: Record<string, string>;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: null;
  tax_exempt: 'none';
  test_clock: null;
}

export interface BalanceTransaction {
  id: string;
  object: 'customer_balance_transaction';
  amount: number;
  checkout_session: null;
  created: number;
  credit_note: null;
  currency: string;
  customer: string;
  description: string | null;
  ending_balance: number;
  invoice: null;
  livemode: false;
  metadata: Record<string, string>;
  type: 'adjustment';
}

/** An answer kept for an `Idempotency-Key` (24 hours, as Stripe does). */
export interface SavedAnswer {
  key: string;
  endpoint: string;
  fingerprint: string;
  statusCode: number;
  body: string;
  requestId: string;
  savedAt: number;
}

export interface AccountState {
  id: string;
  name: string;
  createdAt: string;
  keys: StoredKey[];
  faults: AccountFaults;
  /** Insertion order is creation order; ids never look like array indices. */
  customers: Record<string, Customer>;
  balanceTransactions: Record<string, BalanceTransaction[]>;
  idempotency: SavedAnswer[];
}

export type StripeKeeper = JsonStateKeeper<StripeState>;

export { noFaults } from '../payment-faults.ts';

function isStripeState(value: unknown): value is StripeState {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { version?: unknown; accounts?: unknown };
  return candidate.version === 1 && Array.isArray(candidate.accounts);
}

export function stripeKeeper(store: SandboxStore): StripeKeeper {
  return new JsonStateKeeper(store, 'stripe', isStripeState, () => ({ version: 1, accounts: [] }));
}
