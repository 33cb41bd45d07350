import { ConnectionNeedsReauth, withCrm } from '../connections/service.ts';
import type { AppContext } from '../context.ts';
import { CrmError } from '../crm/errors.ts';
import type { CrmConnector, CrmRecord, CrmSession } from '../crm/types.ts';
import { membersByIds } from '../members/service.ts';
import { programsByIds } from '../programs/service.ts';
import { findReferrals } from '../referrals/service.ts';
import { createRecords, type PendingUpdate, patiently, RetryLater, updateRecords } from './crm-writes.ts';
import { EXISTING_POLICIES } from './existing-policies.ts';
import { alreadyPushed, type LogInput, type LogWriter, logWriter } from './log-entries.ts';
import { pushedThrough } from './records.ts';
import type { PushSettingsRow } from './settings-service.ts';
import { crmValues, effectiveMappings, emailField, type PushSubject } from './values.ts';

/**
 * Pushing one batch of referrals (or members) through one push setting.
 *
 * Each subject ends in exactly one push log entry per attempt:
 * - `created`: a new CRM record (or one an earlier, interrupted attempt created, found again
 *   by the referral ID field), remembered in push_records so it is never created twice;
 * - `updated`: the email matched a record and the policy filled blanks or overwrote;
 * - `skipped`: already pushed (logged when a person asked for the push again: an event
 *   delivered again is not a new attempt), or matched with policy do_nothing (or a deny
 *   within the 60-minute grace), linked to the existing record;
 * - `denied`: matched with policy deny: the referral moved to the program's denied milestone;
 * - `failed`: the CRM refused it (its code and message verbatim); `retryable` says whether
 *   trying again unchanged can help. A created record that could not join its campaign has
 *   this entry for the campaign (object Campaign) next to its `created` entry;
 * - `waiting`: the connection needs reconnecting; it resumes when reconnected.
 * Call-level failures that can pass (rate limits, outages) are logged and rethrown so the
 * job retries with backoff.
 */

async function loadSubjects(
  ctx: AppContext,
  settings: PushSettingsRow,
  ids: string[],
): Promise<PushSubject[]> {
  const workspaceId = settings.workspaceId;
  const programs = await programsByIds(ctx.db, workspaceId, [settings.programId]);
  const program = programs.get(settings.programId);
  if (!program || ids.length === 0) return [];
  if (settings.subject === 'member') {
    const rows = await membersByIds(ctx.db, workspaceId, ids);
    return rows.map((member) => ({ id: member.id, referral: undefined, member, program }));
  }
  const rows = await findReferrals(ctx.db, workspaceId, null, { by: 'ids', ids });
  const memberIds = [...new Set(rows.flatMap((row) => (row.memberId ? [row.memberId] : [])))];
  const byId = new Map(
    (await membersByIds(ctx.db, workspaceId, memberIds)).map((member) => [member.id, member]),
  );
  return rows.map((referral) => ({
    id: referral.id,
    referral,
    member: referral.memberId ? byId.get(referral.memberId) : undefined,
    program,
  }));
}

/**
 * Pushes `subjectIds` through one setting. Subjects it already pushed are not pushed again;
 * those in `requested` (a person asked for this push) get a `skipped` entry naming the record.
 * `retried` names the subjects an earlier attempt may have written without remembering (a
 * retried job, a person's retry, a resumed wait): only those are looked for in the CRM by
 * their referral ID. Default: all of them.
 */
export async function pushSubjects(
  ctx: AppContext,
  settings: PushSettingsRow,
  subjectIds: string[],
  requested: ReadonlySet<string> = new Set(),
  retried: ReadonlySet<string> | 'all' = 'all',
): Promise<void> {
  const unique = [...new Set(subjectIds)];
  if (unique.length === 0) return;
  const log = logWriter(ctx, settings);

  const done = await pushedThrough(ctx.db, settings.id, unique);
  const doneIds = new Set(done.map((record) => record.subjectId));
  await log(
    await alreadyPushed(
      ctx,
      settings,
      done.filter((record) => requested.has(record.subjectId)),
    ),
  );
  const subjects = await loadSubjects(
    ctx,
    settings,
    unique.filter((id) => !doneIds.has(id)),
  );
  if (subjects.length === 0) return;

  try {
    await withCrm(ctx, settings.connectionId, (session, connector) =>
      pushThroughCrm(ctx, settings, subjects, retried, session, connector, log),
    );
  } catch (error) {
    if (error instanceof RetryLater) throw error.crmError;
    if (error instanceof ConnectionNeedsReauth) {
      await log(
        subjects.map((subject) => ({
          subjectId: subject.id,
          action: 'waiting' as const,
          message: `Waiting for the connection to be reconnected: ${error.message}`,
          retryable: true,
        })),
      );
      return;
    }
    if (error instanceof CrmError) {
      const pending = await stillPending(ctx, settings, subjects);
      await log(
        pending.map((subject) => ({
          subjectId: subject.id,
          action: 'failed' as const,
          crmCode: error.crmCode,
          message: error.message,
          retryable: error.retryable,
        })),
      );
      if (error.retryable) throw error;
      return;
    }
    throw error;
  }
}

async function stillPending(ctx: AppContext, settings: PushSettingsRow, subjects: PushSubject[]) {
  const recorded = await pushedThrough(
    ctx.db,
    settings.id,
    subjects.map((subject) => subject.id),
  );
  const ids = new Set(recorded.map((row) => row.subjectId));
  return subjects.filter((subject) => !ids.has(subject.id));
}

async function pushThroughCrm(
  ctx: AppContext,
  settings: PushSettingsRow,
  subjects: PushSubject[],
  retried: ReadonlySet<string> | 'all',
  session: CrmSession,
  connector: CrmConnector,
  log: LogWriter,
): Promise<void> {
  const object = settings.crmObject;
  const mappings = effectiveMappings(connector, settings);
  const url = (crmObject: string, id: string) => connector.recordUrl(session, crmObject, id);
  const valuesOf = new Map(
    subjects.map((subject) => [subject.id, crmValues(mappings, subject, ctx.config.publicUrl)]),
  );
  let open = subjects;

  // An interrupted earlier attempt may have created the record without remembering it. A
  // first attempt has no earlier one: it is not searched for (one CRM call per batch saved).
  const referralIdField = settings.subject === 'referral' ? settings.systemFields.referralId : undefined;
  const suspects = open.filter((subject) => retried === 'all' || retried.has(subject.id));
  if (referralIdField && suspects.length > 0) {
    const found = await patiently(() =>
      connector.findBy(
        session,
        object,
        referralIdField,
        suspects.map((subject) => subject.id),
        [referralIdField],
      ),
    );
    const byReferral = new Map(found.map((record) => [String(record.values[referralIdField] ?? ''), record]));
    const adopted: LogInput[] = [];
    for (const subject of suspects) {
      const record = byReferral.get(subject.id);
      if (!record) continue;
      adopted.push({
        subjectId: subject.id,
        action: 'created',
        crmObject: object,
        crmId: record.id,
        crmUrl: url(object, record.id),
        message: 'Found in the CRM by its referral ID: an earlier attempt created it',
        pushed: { crmObject: object, crmId: record.id },
      });
    }
    await log(adopted);
    const adoptedIds = new Set(adopted.map((entry) => entry.subjectId));
    open = open.filter((subject) => !adoptedIds.has(subject.id));
  }

  // Records that already have the subject's email, unless duplicates are wanted anyway.
  const existing = new Map<string, CrmRecord>();
  const matchField = emailField(mappings, settings.subject);
  if (matchField && settings.existingPolicy !== 'create_duplicate') {
    const emails = open.flatMap((subject) => {
      const email = valuesOf.get(subject.id)?.[matchField];
      return typeof email === 'string' ? [email] : [];
    });
    if (emails.length > 0) {
      const fields = [...new Set(mappings.map((mapping) => mapping.crmField))];
      const found = await patiently(() => connector.findBy(session, object, matchField, emails, fields));
      for (const record of found) {
        const email = String(record.values[matchField] ?? '').toLowerCase();
        const known = existing.get(email);
        // The oldest record is the one sales works.
        if (!known || (record.createdAt && known.createdAt && record.createdAt < known.createdAt)) {
          existing.set(email, record);
        }
      }
    }
  }

  const toCreate: PushSubject[] = [];
  const toUpdate: PendingUpdate[] = [];
  const entries: LogInput[] = [];
  for (const subject of open) {
    const values = valuesOf.get(subject.id) ?? {};
    const email = matchField ? values[matchField] : undefined;
    const record = typeof email === 'string' ? existing.get(email.toLowerCase()) : undefined;
    if (!record) {
      toCreate.push(subject);
      continue;
    }
    // A converted Lead lives on as its Contact: that is the record to link and update.
    const convertedTo = connector.objects.convertedTo;
    const target =
      convertedTo !== undefined &&
      record.convertedContactId !== undefined &&
      record.convertedContactId !== null &&
      record.convertedContactId !== ''
        ? { object: convertedTo, id: record.convertedContactId, converted: true }
        : { object, id: record.id, converted: false };
    const about = target.converted
      ? `${object} ${record.id} (converted to ${target.object} ${target.id})`
      : `${object} ${record.id}`;
    const named = { object: target.object, id: target.id, url: url(target.object, target.id) };
    const match = { subject, values, record, target: named, about };
    const outcome = await EXISTING_POLICIES[settings.existingPolicy](ctx, settings, match);
    if (outcome.kind === 'create') toCreate.push(subject);
    else if (outcome.kind === 'update') {
      toUpdate.push({ subject, record, object: target.object, values: outcome.values });
    } else entries.push(outcome.entry);
  }
  await log(entries);

  await createRecords(ctx, settings, toCreate, valuesOf, session, connector, log);
  await updateRecords(ctx, settings, toUpdate, session, connector, log);
}
