import { AppError } from '../core/errors.ts';
import type { MilestoneDefinition } from '../programs/tables.ts';

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

/**
 * Moving back (to an earlier milestone of the program's list) needs a rule that allows it.
 * Denied milestones are outside the order: moving to one is never "back", moving from one is
 * governed by the denied override instead.
 */
export function backwardRefusal(
  milestones: ReadonlyArray<{ code: string; kind: string }>,
  from: string,
  to: string,
  allowBackward: boolean,
): string | undefined {
  if (allowBackward) return undefined;
  const fromIndex = milestones.findIndex((m) => m.code === from);
  const toIndex = milestones.findIndex((m) => m.code === to);
  const fromKind = milestones[fromIndex]?.kind;
  const toKind = milestones[toIndex]?.kind;
  if (fromIndex < 0 || toIndex < 0 || fromKind === 'denied' || toKind === 'denied') return undefined;
  if (toIndex < fromIndex) {
    return `The referral is at ${from}; the trigger does not allow moving it back to ${to}`;
  }
  return undefined;
}

/** One requested move, as a CRM event asks for it. */
export interface MilestoneStep {
  milestone: string | null;
  allowBackward: boolean;
  overrideDenied: boolean;
}

/** Refusals of the rules above: outcomes of a request, not failures. */
export const MILESTONE_REFUSALS: ReadonlySet<string> = new Set([
  'referral_locked',
  'referral_denied',
  'unknown_milestone',
]);

/**
 * Where one step leaves a referral at `current`, without writing anything: the backward rule
 * first, then the rules above, in the order a CRM event is applied. Replaying CRM events in
 * their own order through this gives the milestone an in-order delivery would have reached.
 */
export function stepMilestone(
  milestones: readonly MilestoneDefinition[],
  current: string,
  step: MilestoneStep,
): { milestone: string; refusal: string | undefined } {
  if (step.milestone === null) return { milestone: current, refusal: undefined };
  const back = backwardRefusal(milestones, current, step.milestone, step.allowBackward);
  if (back) return { milestone: current, refusal: back };
  try {
    const decision = decideMilestoneChange(milestones, current, step.milestone, {
      overrideDenied: step.overrideDenied,
    });
    return { milestone: decision.target.code, refusal: undefined };
  } catch (error) {
    if (error instanceof AppError && MILESTONE_REFUSALS.has(error.code)) {
      return { milestone: current, refusal: error.message };
    }
    throw error;
  }
}
