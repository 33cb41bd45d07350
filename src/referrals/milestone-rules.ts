import { AppError } from '../core/errors.ts';
import type { MilestoneDefinition } from '../db/schema.ts';

/**
 * The rules every milestone change obeys, whoever asks (API, CRM trigger, review):
 *
 * - the target must be one of the program's milestones;
 * - a referral at an `approved` milestone is locked: rewards were earned on it;
 * - a referral at a `denied` milestone moves only when the caller says a denied referral may
 *   be overridden (a person's decision, or a CRM rule configured to do so);
 * - moving to the milestone it is already at changes nothing and records nothing.
 */
export type MilestoneDecision =
  | { kind: 'unchanged'; target: MilestoneDefinition }
  | { kind: 'move'; target: MilestoneDefinition; overridesDenied: boolean };

export function decideMilestoneChange(
  milestones: readonly MilestoneDefinition[],
  currentCode: string,
  targetCode: string,
  options: { overrideDenied: boolean },
): MilestoneDecision {
  const target = milestones.find((m) => m.code === targetCode);
  if (!target) {
    const known = milestones.map((m) => m.code).join(', ');
    throw new AppError(
      'unknown_milestone',
      `milestone: ${targetCode} is not a milestone of this program (${known})`,
      {
        details: [{ field: 'milestone', message: `unknown milestone code; one of ${known}` }],
      },
    );
  }
  if (currentCode === targetCode) return { kind: 'unchanged', target };
  const current = milestones.find((m) => m.code === currentCode);
  if (current?.kind === 'approved') {
    throw new AppError(
      'referral_locked',
      `The referral is at ${current.code}, an approved milestone, and can no longer change`,
      { details: { milestone: current.code, kind: current.kind } },
    );
  }
  if (current?.kind === 'denied' && !options.overrideDenied) {
    throw new AppError(
      'referral_denied',
      `The referral is at ${current.code}, a denied milestone; send overrideDenied: true to move it`,
      { details: { milestone: current.code, kind: current.kind } },
    );
  }
  return { kind: 'move', target, overridesDenied: current?.kind === 'denied' };
}

export function milestoneKindOf(milestones: readonly MilestoneDefinition[], code: string) {
  return milestones.find((m) => m.code === code)?.kind ?? 'pending';
}
