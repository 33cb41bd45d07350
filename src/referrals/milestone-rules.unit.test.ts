import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.ts';
import { defaultMilestones } from '../programs/service.ts';
import { decideMilestoneChange, deniedMilestoneOf, judgeMilestoneChange } from './milestone-rules.ts';

describe('decideMilestoneChange', () => {
  const cases: Array<{
    from: string;
    to: string;
    overrideDenied?: boolean;
    expected: 'move' | 'unchanged' | 'unknown_milestone' | 'referral_locked' | 'referral_denied';
  }> = [
    { from: 'submitted', to: 'qualified', expected: 'move' },
    { from: 'submitted', to: 'won', expected: 'move' },
    { from: 'qualified', to: 'submitted', expected: 'move' },
    { from: 'qualified', to: 'lost', expected: 'move' },
    { from: 'submitted', to: 'submitted', expected: 'unchanged' },
    { from: 'submitted', to: 'closed', expected: 'unknown_milestone' },
    { from: 'won', to: 'lost', expected: 'referral_locked' },
    { from: 'won', to: 'lost', overrideDenied: true, expected: 'referral_locked' },
    { from: 'won', to: 'won', expected: 'unchanged' },
    { from: 'lost', to: 'won', expected: 'referral_denied' },
    { from: 'lost', to: 'won', overrideDenied: true, expected: 'move' },
    { from: 'lost', to: 'qualified', overrideDenied: true, expected: 'move' },
  ];

  it.each(cases)(
    '$from -> $to (overrideDenied $overrideDenied) is $expected',
    ({ from, to, overrideDenied, expected }) => {
      const run = () =>
        decideMilestoneChange(defaultMilestones, from, to, { overrideDenied: overrideDenied ?? false });
      if (expected === 'move' || expected === 'unchanged') {
        const decision = run();
        expect(decision.kind).toBe(expected);
        expect(decision.target.code).toBe(to);
        return;
      }
      expect(run).toThrow(AppError);
      try {
        run();
      } catch (error) {
        expect((error as AppError).code).toBe(expected);
      }
    },
  );

  it('marks a move out of a denied milestone as an override', () => {
    const decision = decideMilestoneChange(defaultMilestones, 'lost', 'won', { overrideDenied: true });
    expect(decision).toMatchObject({ kind: 'move', overridesDenied: true });
    const plain = decideMilestoneChange(defaultMilestones, 'submitted', 'won', { overrideDenied: true });
    expect(plain).toMatchObject({ kind: 'move', overridesDenied: false });
  });

  it('returns refusals as values when judged, naming the rule and the milestone', () => {
    expect(judgeMilestoneChange(defaultMilestones, 'won', 'lost', { overrideDenied: true })).toEqual({
      kind: 'refused',
      refusal: {
        code: 'referral_locked',
        message: 'The referral is at won, an approved milestone, and can no longer change',
        details: { milestone: 'won', kind: 'approved' },
      },
    });
    expect(judgeMilestoneChange(defaultMilestones, 'lost', 'won', { overrideDenied: false })).toMatchObject({
      kind: 'refused',
      refusal: { code: 'referral_denied' },
    });
    expect(
      judgeMilestoneChange(defaultMilestones, 'submitted', 'closed', { overrideDenied: false }),
    ).toMatchObject({ kind: 'refused', refusal: { code: 'unknown_milestone' } });
  });

  it('chooses the first denied milestone for a push denied by the CRM, or none', () => {
    expect(deniedMilestoneOf(defaultMilestones)?.code).toBe('lost');
    expect(deniedMilestoneOf(defaultMilestones.filter((m) => m.kind !== 'denied'))).toBeUndefined();
  });
});
