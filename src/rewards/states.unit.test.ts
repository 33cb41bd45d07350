import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.ts';
import { assertRewardMove, canMoveReward } from './states.ts';

describe('reward states', () => {
  it('allows the ledger path and retries of failures', () => {
    expect(canMoveReward('pending', 'approved')).toBe(true);
    expect(canMoveReward('approved', 'paid')).toBe(true);
    expect(canMoveReward('approved', 'failed')).toBe(true);
    expect(canMoveReward('failed', 'approved')).toBe(true);
  });

  it('never moves a paid or canceled reward, nor pays a pending one', () => {
    for (const to of ['pending', 'approved', 'failed', 'canceled'] as const) {
      expect(canMoveReward('paid', to)).toBe(false);
    }
    expect(canMoveReward('canceled', 'approved')).toBe(false);
    expect(canMoveReward('pending', 'paid')).toBe(false);
    expect(() => assertRewardMove('paid', 'canceled')).toThrow(AppError);
    expect(() => assertRewardMove('paid', 'canceled')).toThrow(
      'The reward is paid; it cannot become canceled',
    );
  });
});
