import type { AppContext } from '../context.ts';
import type { CrmRecord } from '../crm/types.ts';
import { deniedMilestoneOf } from '../referrals/milestone-rules.ts';
import { moveMilestone } from '../referrals/service.ts';
import { type LogInput, type NamedRecord, skippedEntry } from './log-entries.ts';
import { rememberPushed } from './records.ts';
import type { PushSettingsRow } from './settings-service.ts';
import type { ExistingRecordPolicy } from './tables.ts';
import type { PushSubject } from './values.ts';

/** A subject whose email the CRM already has, and the record it is linked to. */
export interface ExistingMatch {
  subject: PushSubject;
  /** The mapped values the push would write. */
  values: Record<string, unknown>;
  /** The record found by email. */
  record: CrmRecord;
  /** The record linked and written: the found one, or the Contact a converted Lead became. */
  target: NamedRecord;
  /** How the entry names the match, e.g. `Lead 00Q… (converted to Contact 003…)`. */
  about: string;
}

/** What a policy does with a match: create anyway, update, or a log entry with nothing written. */
export type PolicyOutcome =
  | { kind: 'create' }
  | { kind: 'update'; values: Record<string, unknown> }
  | { kind: 'logged'; entry: LogInput };

export type PolicyHandler = (
  ctx: AppContext,
  settings: PushSettingsRow,
  match: ExistingMatch,
) => Promise<PolicyOutcome>;

async function link(ctx: AppContext, settings: PushSettingsRow, match: ExistingMatch): Promise<void> {
  await rememberPushed(ctx.db, settings, match.subject.id, {
    crmObject: match.target.object,
    crmId: match.target.id,
  });
}

/** Nothing written: the entry links the subject to the matched record (remembered with it). */
function skipped(match: ExistingMatch, message: string): PolicyOutcome {
  const entry = skippedEntry(match.subject.id, match.target, message);
  return {
    kind: 'logged',
    entry: { ...entry, pushed: { crmObject: match.target.object, crmId: match.target.id } },
  };
}

/** Every existing-record policy; a policy without a handler is a compile error. */
export const EXISTING_POLICIES: Record<ExistingRecordPolicy, PolicyHandler> = {
  do_nothing: async (_ctx, _settings, match) => {
    return skipped(match, `The email already matches ${match.about}; policy do_nothing`);
  },
  fill_blank: async (_ctx, _settings, match) => {
    const blanks = Object.fromEntries(
      Object.entries(match.values).filter(([field]) => {
        const current = match.record.values[field];
        return current === undefined || current === null || current === '';
      }),
    );
    if (Object.keys(blanks).length > 0) return { kind: 'update', values: blanks };
    return skipped(match, `The email already matches ${match.about}, which has no blank mapped field`);
  },
  overwrite: async (_ctx, _settings, match) => ({ kind: 'update', values: match.values }),
  deny: async (ctx, settings, match) => {
    const created = match.record.createdAt;
    const age = created ? Date.now() - created.getTime() : Number.POSITIVE_INFINITY;
    // Remembered before the milestone moves, so a retry after a crash does not deny twice.
    await link(ctx, settings, match);
    // A younger record was probably made for this very referral by another integration.
    if (age < settings.denyGraceMinutes * 60_000) {
      return skipped(
        match,
        `The email matches ${match.about}, created less than ${settings.denyGraceMinutes} minutes ago (probably for this referral by another integration); not denied`,
      );
    }
    return { kind: 'logged', entry: await deny(ctx, settings, match) };
  },
  create_duplicate: async () => ({ kind: 'create' }),
};

async function deny(ctx: AppContext, settings: PushSettingsRow, match: ExistingMatch): Promise<LogInput> {
  const { subject, about, target } = match;
  const denied = deniedMilestoneOf(subject.program.milestones);
  const base = { subjectId: subject.id, crmObject: target.object, crmId: target.id, crmUrl: target.url };
  if (!denied) {
    return {
      ...base,
      action: 'failed',
      message: `The email matches ${about}, but the program has no denied milestone`,
    };
  }
  const moved = await moveMilestone(ctx.db, ctx.queue, settings.workspaceId, subject.id, {
    milestone: denied.code,
    reason: `Already in the CRM as ${about}`,
    overrideDenied: false,
    actor: `crm:${settings.connectionId}`,
  });
  if ('refusal' in moved) {
    return {
      ...base,
      action: 'failed',
      message: `The email matches ${about}, but: ${moved.refusal.message}`,
    };
  }
  return {
    ...base,
    action: 'denied',
    message: `The email already matches ${about}; moved to ${denied.code}`,
  };
}
