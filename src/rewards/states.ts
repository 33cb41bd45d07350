import { AppError } from '../core/errors.ts';
import type { EventType } from '../queue/events.ts';
import type { RewardStatus } from './tables.ts';

/**
 * A reward's life. It is created `pending` (waiting for its hold period to pass, for a
 * person's approval, or for a fraud guard to be cleared by hand) or straight `approved` when
 * the rule approves automatically and holds nothing. An `approved` reward is handed to its
 * fulfilment (coupon, Stripe credit, Tremendous order, or a person paying by hand) and ends
 * `paid`, or `failed` with the provider's words (an empty coupon pool, insufficient funds, a
 * revoked key). A failed reward goes back to `approved` when someone retries it after the
 * fix; its provider keys (Stripe idempotency key, Tremendous external ID) are derived from
 * the reward ID, so a retry never pays twice. `canceled` (by a person, by the referral being
 * denied during the hold, by a limit) and `paid` are final. Limits and fraud checks are
 * decided once, when the reward is created.
 */
export const REWARD_TRANSITIONS: ReadonlyArray<{ from: RewardStatus; to: RewardStatus }> = [
  { from: 'pending', to: 'approved' },
  { from: 'pending', to: 'canceled' },
  { from: 'approved', to: 'paid' },
  { from: 'approved', to: 'failed' },
  { from: 'approved', to: 'canceled' },
  { from: 'failed', to: 'approved' },
  { from: 'failed', to: 'canceled' },
];

export function canMoveReward(from: RewardStatus, to: RewardStatus): boolean {
  return REWARD_TRANSITIONS.some((transition) => transition.from === from && transition.to === to);
}

export function assertRewardMove(from: RewardStatus, to: RewardStatus): void {
  if (!canMoveReward(from, to)) {
    throw new AppError('conflict', `The reward is ${from}; it cannot become ${to}`, {
      details: { status: from, requested: to },
    });
  }
}

/** The event each state announces. */
export const rewardEventOf: Record<RewardStatus, EventType> = {
  pending: 'reward.created',
  approved: 'reward.approved',
  paid: 'reward.paid',
  failed: 'reward.failed',
  canceled: 'reward.canceled',
};
