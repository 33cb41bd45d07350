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

/** A change the rules refuse: an outcome of the request, returned as a value. */
export interface MilestoneRefusal {
  code: 'unknown_milestone' | 'referral_locked' | 'referral_denied';
  message: string;
  details: unknown;
}

export type MilestoneJudgement = MilestoneDecision | { kind: 'refused'; refusal: MilestoneRefusal };

export function judgeMilestoneChange(
  milestones: readonly MilestoneDefinition[],
  currentCode: string,
  targetCode: string,
  options: { overrideDenied: boolean },
): MilestoneJudgement {
  const target = milestones.find((m) => m.code === targetCode);
  if (!target) {
    const known = milestones.map((m) => m.code).join(', ');
    return refused(
      'unknown_milestone',
      `milestone: ${targetCode} is not a milestone of this program (${known})`,
      [{ field: 'milestone', message: `unknown milestone code; one of ${known}` }],
    );
  }
  if (currentCode === targetCode) return { kind: 'unchanged', target };
  const current = milestones.find((m) => m.code === currentCode);
  if (current?.kind === 'approved') {
    return refused(
      'referral_locked',
      `The referral is at ${current.code}, an approved milestone, and can no longer change`,
      { milestone: current.code, kind: current.kind },
    );
  }
  if (current?.kind === 'denied' && !options.overrideDenied) {
    return refused(
      'referral_denied',
      `The referral is at ${current.code}, a denied milestone; send overrideDenied: true to move it`,
      { milestone: current.code, kind: current.kind },
    );
  }
  return { kind: 'move', target, overridesDenied: current?.kind === 'denied' };
}

function refused(code: MilestoneRefusal['code'], message: string, details: unknown): MilestoneJudgement {
  return { kind: 'refused', refusal: { code, message, details } };
}

/** A refusal as the error a caller of the API gets (409 or 422 by its code). */
export function refusalError(refusal: MilestoneRefusal): AppError {
  return new AppError(refusal.code, refusal.message, { details: refusal.details });
}

/** The rules above for a caller that asked for the change: a refusal is its error. */
export function decideMilestoneChange(
  milestones: readonly MilestoneDefinition[],
  currentCode: string,
  targetCode: string,
  options: { overrideDenied: boolean },
): MilestoneDecision {
  const judgement = judgeMilestoneChange(milestones, currentCode, targetCode, options);
  if (judgement.kind === 'refused') throw refusalError(judgement.refusal);
  return judgement;
}

/**
 * Where a referral goes when the CRM already has its person (push policy deny): the program's
 * first denied milestone, or none.
 */
export function deniedMilestoneOf(
  milestones: readonly MilestoneDefinition[],
): MilestoneDefinition | undefined {
  return milestones.find((milestone) => milestone.kind === 'denied');
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
  const judgement = judgeMilestoneChange(milestones, current, step.milestone, {
    overrideDenied: step.overrideDenied,
  });
  if (judgement.kind === 'refused') return { milestone: current, refusal: judgement.refusal.message };
  return { milestone: judgement.target.code, refusal: undefined };
}
