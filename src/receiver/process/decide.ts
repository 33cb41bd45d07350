import type { AppContext } from '../../context.ts';
import { milestoneKindOf } from '../../referrals/milestone-rules.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import type { ReceiverSettingsRow } from '../settings/service.ts';
import type { ProcessRules, StatusTrigger } from '../tables.ts';
import { memberMatch } from './member-match.ts';
import { type EntryPlan, fieldChanges } from './plan.ts';
import { type DecideReads, readsOf } from './reads.ts';
import type { EntryRecords } from './records.ts';
import { directMatch, fuzzyMatch, newReferralDetails, peopleOf, type TargetMatch } from './target-match.ts';
import { describeNoTrigger, firstTrigger } from './triggers.ts';

export const DEFAULT_PROCESS_RULES: ProcessRules = {
  autoProcessDirect: true,
  autoProcessFuzzy: true,
  reviewWhenNoMemberMatch: false,
  reviewDeniedToPositive: false,
  notifyOnReview: false,
};

/** What the entry found: kept on it whatever the outcome. */
export interface MatchInfo {
  referralId: string | null;
  memberId: string | null;
  matchMethod: string | null;
  matchScore: number | null;
  trigger: StatusTrigger | null;
}

export type Decision =
  | { kind: 'apply'; plan: EntryPlan; match: MatchInfo }
  | { kind: 'review'; reason: string; plan: EntryPlan | null; match: MatchInfo; notify: boolean }
  | { kind: 'ignored'; reason: string; match: MatchInfo }
  | { kind: 'failed'; reason: string; match: MatchInfo; needsReconnect?: boolean };

const noMatch = (trigger: StatusTrigger | null): MatchInfo => ({
  referralId: null,
  memberId: null,
  matchMethod: null,
  matchScore: null,
  trigger,
});

interface Candidate {
  settings: ReceiverSettingsRow | undefined;
  trigger: StatusTrigger;
}

/**
 * Decides what an entry does, without writing anything: which settings' trigger fired,
 * which referral it is about (direct, then fuzzy) or which member gets a new one, and
 * whether the process rules send it to review. When a connection serves several programs,
 * the first settings (oldest first) whose trigger fired and that finds a referral or a
 * member decide.
 */
export async function decide(
  ctx: AppContext,
  entry: SalesEntryRow,
  records: EntryRecords,
  settingsList: ReceiverSettingsRow[],
  reads: DecideReads = readsOf(ctx.db),
): Promise<Decision> {
  const candidates = candidatesOf(entry, records, settingsList);
  if (candidates.length === 0) {
    return {
      kind: 'ignored',
      reason: describeNoTrigger(
        settingsList.flatMap((settings) => settings.statusTriggers),
        records,
      ),
      match: noMatch(null),
    };
  }
  for (const candidate of candidates) {
    const programId = candidate.settings?.programId ?? null;
    let match = await directMatch(reads, entry.workspaceId, programId, candidate.settings, records, {
      previousReferralId: entry.referralId,
      scanForIds: entry.requestedMilestone !== null || entry.source === 'api',
    });
    // A transition URL names its referral by ID: it is never matched fuzzily.
    if (!match && candidate.settings?.fuzzyMatch && !entry.requestedMilestone) {
      match = await fuzzyMatch(
        reads,
        entry.workspaceId,
        candidate.settings.programId,
        peopleOf(records, candidate.settings),
      );
    }
    if (match) return forReferral(reads, entry, records, candidate, match);
  }
  const tried: string[] = [];
  for (const candidate of candidates) {
    if (!candidate.settings) continue;
    const found = await memberMatch(reads, candidate.settings, records);
    if (!found.found) {
      tried.push(...found.tried);
      continue;
    }
    const details = newReferralDetails(records);
    const match: MatchInfo = {
      ...noMatch(candidate.trigger),
      memberId: found.member.id,
      matchMethod: found.method,
      matchScore: 1,
    };
    if (!details.email && !details.firstName && !details.lastName) {
      return { kind: 'failed', reason: 'the CRM record has no name or email to add a referral with', match };
    }
    const program = await reads.program(entry.workspaceId, candidate.settings.programId);
    const plan: EntryPlan = {
      programId: candidate.settings.programId,
      referralId: null,
      create: { memberId: found.member.id, ...details },
      milestone: candidate.trigger.milestone,
      allowBackward: false,
      overrideDenied: candidate.settings.allowOverrideDenied,
      ...fieldChanges(candidate.settings, records, program.referralFields),
      feedback: entry.feedback,
    };
    return { kind: 'apply', plan, match };
  }
  const first = candidates[0];
  const reason =
    tried.length > 0
      ? tried.join('; ')
      : 'no referral matches and no member match rule has a value in this entry';
  const match = noMatch(first?.trigger ?? null);
  // Several programs' settings may have fired; any of them asking to review an unmatched
  // entry is reason enough not to let it fail silently.
  const reviewing = candidates.find((candidate) => candidate.settings?.processRules.reviewWhenNoMemberMatch);
  const rules = (reviewing ?? first)?.settings?.processRules ?? DEFAULT_PROCESS_RULES;
  if (rules.reviewWhenNoMemberMatch) {
    return { kind: 'review', reason, plan: null, match, notify: rules.notifyOnReview };
  }
  return { kind: 'failed', reason, match };
}

/** Transition URLs name their milestone; other entries need a status trigger to fire. */
function candidatesOf(
  entry: SalesEntryRow,
  records: EntryRecords,
  settingsList: ReceiverSettingsRow[],
): Candidate[] {
  if (entry.requestedMilestone) {
    // The transition URL is the CRM admin's explicit rule for this milestone: it may move back.
    const trigger: StatusTrigger = {
      object: records.object,
      field: 'transition',
      value: entry.requestedMilestone,
      milestone: entry.requestedMilestone,
      allowBackward: true,
    };
    // Last, without settings: the referral the transition names, whatever its program.
    return [...settingsList.map((settings) => ({ settings, trigger })), { settings: undefined, trigger }];
  }
  return settingsList.flatMap((settings) => {
    const trigger = firstTrigger(settings.statusTriggers, records);
    return trigger ? [{ settings, trigger }] : [];
  });
}

async function forReferral(
  reads: DecideReads,
  entry: SalesEntryRow,
  records: EntryRecords,
  candidate: Candidate,
  match: TargetMatch,
): Promise<Decision> {
  const settings = candidate.settings;
  const rules = settings?.processRules ?? DEFAULT_PROCESS_RULES;
  const program = await reads.program(entry.workspaceId, match.referral.programId);
  const plan: EntryPlan = {
    programId: program.id,
    referralId: match.referral.id,
    create: null,
    milestone: candidate.trigger.milestone,
    allowBackward: candidate.trigger.allowBackward ?? false,
    overrideDenied: settings?.allowOverrideDenied ?? false,
    ...(settings
      ? fieldChanges(settings, records, program.referralFields)
      : { standardFields: {}, customFields: {} }),
    feedback: entry.feedback,
  };
  const info: MatchInfo = {
    referralId: match.referral.id,
    memberId: match.referral.memberId,
    matchMethod: match.method,
    matchScore: match.score,
    trigger: candidate.trigger,
  };
  const review = (reason: string): Decision => ({
    kind: 'review',
    reason,
    plan,
    match: info,
    notify: rules.notifyOnReview,
  });
  if (match.direct && !rules.autoProcessDirect) {
    return review(
      `direct match (${match.method}) waits for review: automatic processing of direct matches is off`,
    );
  }
  if (!match.direct && !rules.autoProcessFuzzy) {
    return review(
      `fuzzy match (${match.method}, score ${match.score}) waits for review: automatic processing of fuzzy matches is off`,
    );
  }
  const currentKind = milestoneKindOf(program.milestones, match.referral.milestone);
  const targetKind = milestoneKindOf(program.milestones, candidate.trigger.milestone);
  if (
    rules.reviewDeniedToPositive &&
    currentKind === 'denied' &&
    (targetKind === 'qualified' || targetKind === 'approved')
  ) {
    return review(
      `the referral is denied (${match.referral.milestone}); moving it to ${candidate.trigger.milestone} needs review`,
    );
  }
  return { kind: 'apply', plan, match: info };
}
