import { findConnection } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { AppError, validationFailed } from '../../core/errors.ts';
import { getReferral } from '../../referrals/service.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import { decide } from '../process/decide.ts';
import type { EntryOrigin } from '../process/objects.ts';
import { resolveRecords } from '../process/records.ts';
import { getReceiverSettings, type ReceiverSettingsRow } from './service.ts';

export interface DryRunInput {
  objectType: string;
  recordId?: string | undefined;
  fields?: Record<string, unknown> | undefined;
}

/** An entry that is never saved: what the pipeline is given to decide on. */
function unsavedEntry(settings: ReceiverSettingsRow, input: DryRunInput): SalesEntryRow {
  const now = new Date();
  const fields = input.fields ?? {};
  return {
    id: 'sle_dry_run',
    workspaceId: settings.workspaceId,
    connectionId: settings.connectionId,
    source: 'api',
    dedupeKey: 'dry-run',
    rawPayload: JSON.stringify(input),
    status: 'received',
    reason: null,
    objectType: input.objectType,
    recordId: input.recordId ?? null,
    fields,
    receivedFields: fields,
    occurredAt: null,
    related: null,
    referralId: null,
    memberId: null,
    matchMethod: null,
    matchScore: null,
    trigger: null,
    changes: null,
    requestedMilestone: null,
    feedback: null,
    attempts: 0,
    needsReconnect: false,
    receivedAt: now,
    processedAt: null,
  };
}

/**
 * What these receiver settings would do with a record, writing nothing: the records the
 * pipeline reads (the CRM record completed from the CRM when an ID is given, and its related
 * records), the trigger that fires, the match, and the outcome the process rules give.
 * It runs the receiver's own `resolveRecords` and `decide`, which only read.
 */
export async function dryRun(ctx: AppContext, workspaceId: string, settingsId: string, input: DryRunInput) {
  const settings = await getReceiverSettings(ctx.db, workspaceId, settingsId);
  let origin: EntryOrigin = 'api';
  if (settings.connectionId) {
    const connection = await findConnection(ctx.db, settings.connectionId, workspaceId);
    if (!connection)
      throw new AppError('conflict', 'The connection of these receiver settings no longer exists');
    origin = connection.provider;
  }
  if (!input.recordId && Object.keys(input.fields ?? {}).length === 0) {
    throw validationFailed([
      { field: 'recordId', message: 'give the ID of a CRM record to read, or the fields of a payload' },
    ]);
  }
  const entry = unsavedEntry(settings, input);
  const records = await resolveRecords(ctx, entry, origin, [settings]);
  const decision = await decide(ctx, entry, records, [settings]);
  const plan = decision.kind === 'apply' ? decision.plan : decision.kind === 'review' ? decision.plan : null;
  const referral = decision.match.referralId
    ? await getReferral(ctx.db, workspaceId, decision.match.referralId)
    : undefined;
  return {
    records: {
      object: records.object,
      recordId: records.recordId,
      values: records.values,
      related: records.related,
    },
    trigger: decision.match.trigger,
    match: {
      referralId: decision.match.referralId,
      memberId: decision.match.memberId,
      method: decision.match.matchMethod,
      score: decision.match.matchScore,
    },
    outcome: decision.kind === 'apply' ? ('success' as const) : decision.kind,
    reason: decision.kind === 'apply' ? null : decision.reason,
    milestone: plan?.milestone
      ? { from: referral?.milestone ?? null, to: plan.milestone, allowBackward: plan.allowBackward }
      : null,
    newReferral: plan?.create ? { memberId: plan.create.memberId } : null,
    fieldChanges: plan ? { ...plan.standardFields, ...plan.customFields } : {},
    processRules: settings.processRules,
  };
}
