import type { AppContext } from '../../context.ts';
import type { MemberRow } from '../../members/service.ts';
import type { RewardRow } from '../ledger.ts';
import type { RewardSettingsRow } from '../settings-service.ts';
import type { FulfilmentMethod } from '../tables.ts';

export interface PayoutInput {
  ctx: AppContext;
  reward: RewardRow;
  /** The program's payout settings (credentials still sealed). */
  settings: RewardSettingsRow | undefined;
  /** The referrer, when the reward is theirs. */
  member: MemberRow | undefined;
}

/**
 * What a provider answers. `paid` carries what it made (a code, a transaction, an order);
 * `failed` carries the provider's own words and whether the same call may pass later without
 * anyone changing anything (a timeout, a 5xx, a rate limit); `waiting` means a person pays
 * (manual fulfilment).
 */
export type PayoutResult =
  | { outcome: 'paid'; ref: string }
  | { outcome: 'failed'; reason: string; retryable: boolean }
  | { outcome: 'waiting' };

/**
 * One way of paying rewards. Every provider must be idempotent per reward: paying the same
 * reward twice (a retry after a crash, two workers) makes one payment. Each does it with a
 * key derived from the reward ID (Stripe idempotency key, Tremendous external ID, the
 * coupon's reward column).
 */
export interface FulfilmentProvider {
  method: FulfilmentMethod;
  pay(input: PayoutInput): Promise<PayoutResult>;
}
