import type { StoredKey } from '../api-keys.ts';
import { JsonStateKeeper, randomChars } from '../json-state.ts';
import type { PaymentFaults } from '../payment-faults.ts';
import type { SandboxStore } from '../store.ts';

/**
 * Everything the Tremendous sandbox keeps between restarts: organizations, each with its
 * API keys (hashes only), fault knobs, funding sources with what they can still pay, and
 * the orders placed.
 */
export interface TremendousState {
  version: 1;
  organizations: OrganizationState[];
}

export type FundingMethod = 'balance' | 'bank_account' | 'credit_card' | 'invoice';

export interface FundingSourceState {
  id: string;
  method: FundingMethod;
  /** What orders may still draw, in cents of the organization's currency. */
  availableCents: number;
  createdAt: string;
}

export type OrganizationFaults = PaymentFaults;

export interface RewardJson {
  id: string;
  order_id: string;
  created_at: string;
  expires_at: null;
  value: { denomination: number; currency_code: string };
  recipient: { name: string | null; email?: string; phone?: string };
  deliver_at?: string;
  custom_fields: Array<{ id: string; value: string | null; label: string }>;
  delivery: { method: 'EMAIL' | 'LINK' | 'PHONE'; status: 'SCHEDULED' | 'SUCCEEDED'; link?: string };
}

export interface OrderJson {
  id: string;
  external_id: string | null;
  campaign_id: null;
  created_at: string;
  status: 'EXECUTED';
  channel: 'API';
  payment: { subtotal: number; total: number; fees: number; discount: number; currency_code: string };
  rewards: RewardJson[];
}

export interface OrderState {
  order: OrderJson;
  fundingSourceId: string;
  products: string[];
  /** Canonical text of the request, to tell a retry from a different order under one external_id. */
  fingerprint: string;
}

export interface OrganizationState {
  id: string;
  name: string;
  currency: string;
  createdAt: string;
  keys: StoredKey[];
  faults: OrganizationFaults;
  fundingSources: FundingSourceState[];
  orders: OrderState[];
}

export type TremendousKeeper = JsonStateKeeper<TremendousState>;

/** Tremendous ids: twelve upper-case letters and digits. */
export const tremendousId = () => randomChars(12, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');

export { noFaults } from '../payment-faults.ts';

/** The organization's balance: every organization has exactly one. */
export function balanceSource(organization: OrganizationState): FundingSourceState | undefined {
  return organization.fundingSources.find((source) => source.method === 'balance');
}

/** A funding source by id, or by the keyword `balance` (any case), as the API accepts. */
export function findFundingSource(
  organization: OrganizationState,
  id: string,
): FundingSourceState | undefined {
  if (id.toLowerCase() === 'balance') return balanceSource(organization);
  return organization.fundingSources.find((source) => source.id === id);
}

function isTremendousState(value: unknown): value is TremendousState {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { version?: unknown; organizations?: unknown };
  return candidate.version === 1 && Array.isArray(candidate.organizations);
}

export function tremendousKeeper(store: SandboxStore): TremendousKeeper {
  return new JsonStateKeeper(store, 'tremendous', isTremendousState, () => ({
    version: 1,
    organizations: [],
  }));
}
