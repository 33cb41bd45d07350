import { and, eq, inArray } from 'drizzle-orm';
import { ConnectionNeedsReauth, withCrm } from '../connections/service.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import { CrmError } from '../crm/errors.ts';
import type { CrmConnector, CrmRecord, CrmSession, WriteOutcome } from '../crm/types.ts';
import type { MemberRow } from '../members/service.ts';
import { members } from '../members/tables.ts';
import { programsByIds } from '../programs/service.ts';
import { changeMilestone } from '../referrals/service.ts';
import { referrals } from '../referrals/tables.ts';
import {
  alreadyPushed,
  failureEntry,
  type LogInput,
  type LogWriter,
  logWriter,
  skippedEntry,
} from './log-entries.ts';
import type { PushSettingsRow } from './settings-service.ts';
import { pushRecords } from './tables.ts';
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

/** Wait inline for a short rate-limit window instead of failing the whole batch. */
const maxInlineWaitMs = 15_000;

/**
 * Some records of a batch failed in a way that can pass (a later collection call hit a limit
 * or an outage). They are logged already; this makes the job retry them.
 */
class RetryLater extends Error {
  constructor(readonly crmError: CrmError) {
    super(crmError.message);
    this.name = 'RetryLater';
  }
}

function retryIfAnyRetryable(outcomes: WriteOutcome[]): void {
  const retryable = outcomes.find((outcome) => !outcome.ok && outcome.error.retryable);
  if (retryable && !retryable.ok) throw new RetryLater(retryable.error);
}

async function patiently<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const wait =
        error instanceof CrmError && error.kind === 'rate_limited' ? error.retryAfterMs : undefined;
      if (wait === undefined || wait > maxInlineWaitMs || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

async function loadSubjects(
  ctx: AppContext,
  settings: PushSettingsRow,
  ids: string[],
): Promise<PushSubject[]> {
  const workspaceId = settings.workspaceId;
  const programs = await programsByIds(ctx.db, workspaceId, [settings.programId]);
  const program = programs.get(settings.programId);
  if (!program) return [];
  if (settings.subject === 'member') {
    const rows = await ctx.db
      .select()
      .from(members)
      .where(and(eq(members.workspaceId, workspaceId), inArray(members.id, ids)));
    return rows.map((member) => ({ id: member.id, referral: undefined, member, program }));
  }
  const rows = await ctx.db
    .select()
    .from(referrals)
    .where(and(eq(referrals.workspaceId, workspaceId), inArray(referrals.id, ids)));
  const memberIds = [...new Set(rows.flatMap((row) => (row.memberId ? [row.memberId] : [])))];
  const memberRows: MemberRow[] =
    memberIds.length === 0 ? [] : await ctx.db.select().from(members).where(inArray(members.id, memberIds));
  const byId = new Map(memberRows.map((member) => [member.id, member]));
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
 */
export async function pushSubjects(
  ctx: AppContext,
  settings: PushSettingsRow,
  subjectIds: string[],
  requested: ReadonlySet<string> = new Set(),
): Promise<void> {
  const unique = [...new Set(subjectIds)];
  if (unique.length === 0) return;
  const log = logWriter(ctx, settings);

  const done = await ctx.db
    .select()
    .from(pushRecords)
    .where(and(eq(pushRecords.settingsId, settings.id), inArray(pushRecords.subjectId, unique)));
  const doneIds = new Set(done.map((record) => record.subjectId));
  await log(
    await alreadyPushed(
      ctx,
      settings,
      done.filter((record) => requested.has(record.subjectId)),
    ),
  );
  const subjects = (
    await loadSubjects(
      ctx,
      settings,
      unique.filter((id) => !doneIds.has(id)),
    )
  ).filter(Boolean);
  if (subjects.length === 0) return;

  try {
    await withCrm(ctx, settings.connectionId, (session, connector) =>
      pushThroughCrm(ctx, settings, subjects, session, connector, log),
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
  const recorded = await ctx.db
    .select({ subjectId: pushRecords.subjectId })
    .from(pushRecords)
    .where(
      and(
        eq(pushRecords.settingsId, settings.id),
        inArray(
          pushRecords.subjectId,
          subjects.map((subject) => subject.id),
        ),
      ),
    );
  const ids = new Set(recorded.map((row) => row.subjectId));
  return subjects.filter((subject) => !ids.has(subject.id));
}

async function remember(
  ctx: AppContext,
  settings: PushSettingsRow,
  subjectId: string,
  crmObject: string,
  crmId: string,
  dealId?: string,
) {
  await ctx.db
    .insert(pushRecords)
    .values({
      settingsId: settings.id,
      subjectId,
      workspaceId: settings.workspaceId,
      crmObject,
      crmId,
      dealId: dealId ?? null,
    })
    .onConflictDoNothing();
}

async function pushThroughCrm(
  ctx: AppContext,
  settings: PushSettingsRow,
  subjects: PushSubject[],
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

  // An interrupted earlier attempt may have created the record without remembering it.
  const referralIdField = settings.subject === 'referral' ? settings.systemFields.referralId : undefined;
  if (referralIdField) {
    const found = await patiently(() =>
      connector.findBy(
        session,
        object,
        referralIdField,
        open.map((subject) => subject.id),
        [referralIdField],
      ),
    );
    const byReferral = new Map(found.map((record) => [String(record.values[referralIdField] ?? ''), record]));
    const adopted: LogInput[] = [];
    for (const subject of open) {
      const record = byReferral.get(subject.id);
      if (!record) continue;
      await remember(ctx, settings, subject.id, object, record.id);
      adopted.push({
        subjectId: subject.id,
        action: 'created',
        crmObject: object,
        crmId: record.id,
        crmUrl: url(object, record.id),
        message: 'Found in the CRM by its referral ID: an earlier attempt created it',
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
  const toUpdate: Array<{
    subject: PushSubject;
    record: CrmRecord;
    object: string;
    values: Record<string, unknown>;
  }> = [];
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
    const target =
      record.convertedContactId !== undefined &&
      record.convertedContactId !== null &&
      record.convertedContactId !== ''
        ? { object: 'Contact', id: record.convertedContactId, converted: true }
        : { object, id: record.id, converted: false };
    const about = target.converted
      ? `${object} ${record.id} (converted to Contact ${target.id})`
      : `${object} ${record.id}`;
    const named = { object: target.object, id: target.id, url: url(target.object, target.id) };
    switch (settings.existingPolicy) {
      case 'do_nothing':
        await remember(ctx, settings, subject.id, target.object, target.id);
        entries.push(
          skippedEntry(subject.id, named, `The email already matches ${about}; policy do_nothing`),
        );
        break;
      case 'fill_blank': {
        const blanks = Object.fromEntries(
          Object.entries(values).filter(([field]) => {
            const current = record.values[field];
            return current === undefined || current === null || current === '';
          }),
        );
        if (Object.keys(blanks).length === 0) {
          await remember(ctx, settings, subject.id, target.object, target.id);
          entries.push(
            skippedEntry(
              subject.id,
              named,
              `The email already matches ${about}, which has no blank mapped field`,
            ),
          );
        } else {
          toUpdate.push({ subject, record, object: target.object, values: blanks });
        }
        break;
      }
      case 'overwrite':
        toUpdate.push({ subject, record, object: target.object, values });
        break;
      case 'deny': {
        const age = record.createdAt ? Date.now() - record.createdAt.getTime() : Number.POSITIVE_INFINITY;
        await remember(ctx, settings, subject.id, target.object, target.id);
        // A younger record was probably made for this very referral by another integration.
        if (age < settings.denyGraceMinutes * 60_000) {
          entries.push(
            skippedEntry(
              subject.id,
              named,
              `The email matches ${about}, created less than ${settings.denyGraceMinutes} minutes ago (probably for this referral by another integration); not denied`,
            ),
          );
          break;
        }
        entries.push(await deny(ctx, settings, subject, about, named));
        break;
      }
      case 'create_duplicate':
        toCreate.push(subject);
        break;
    }
  }
  await log(entries);

  await createRecords(ctx, settings, toCreate, valuesOf, session, connector, log);
  await updateRecords(ctx, settings, toUpdate, session, connector, log);
}

async function deny(
  ctx: AppContext,
  settings: PushSettingsRow,
  subject: PushSubject,
  about: string,
  target: { object: string; id: string; url: string | undefined },
): Promise<LogInput> {
  const denied = subject.program.milestones.find((milestone) => milestone.kind === 'denied');
  const base = { subjectId: subject.id, crmObject: target.object, crmId: target.id, crmUrl: target.url };
  if (!denied) {
    return {
      ...base,
      action: 'failed',
      message: `The email matches ${about}, but the program has no denied milestone`,
    };
  }
  try {
    await changeMilestone(ctx.db, ctx.queue, settings.workspaceId, subject.id, {
      milestone: denied.code,
      reason: `Already in the CRM as ${about}`,
      overrideDenied: false,
      actor: `crm:${settings.connectionId}`,
    });
    return {
      ...base,
      action: 'denied',
      message: `The email already matches ${about}; moved to ${denied.code}`,
    };
  } catch (error) {
    if (error instanceof AppError) {
      return { ...base, action: 'failed', message: `The email matches ${about}, but: ${error.message}` };
    }
    throw error;
  }
}

async function createRecords(
  ctx: AppContext,
  settings: PushSettingsRow,
  subjects: PushSubject[],
  valuesOf: Map<string, Record<string, unknown>>,
  session: CrmSession,
  connector: CrmConnector,
  log: LogWriter,
): Promise<void> {
  const object = settings.crmObject;
  for (let start = 0; start < subjects.length; start += connector.batchSize) {
    const chunk = subjects.slice(start, start + connector.batchSize);
    const outcomes = await patiently(() =>
      connector.create(
        session,
        object,
        chunk.map((subject) => valuesOf.get(subject.id) ?? {}),
        { allowDuplicates: settings.existingPolicy === 'create_duplicate' },
      ),
    );
    const entries: LogInput[] = [];
    for (const [index, subject] of chunk.entries()) {
      const outcome = outcomes[index];
      if (!outcome) continue;
      if (!outcome.ok) {
        entries.push(failureEntry(subject.id, object, outcome));
        continue;
      }
      let dealId: string | undefined;
      const notes: string[] = [];
      if (settings.deal && connector.createDeal) {
        const deal = await patiently(
          () =>
            connector.createDeal?.(session, {
              pipeline: settings.deal?.pipeline ?? '',
              stage: settings.deal?.stage ?? '',
              name: settings.deal?.name ?? '',
              contactId: outcome.id,
            }) ?? Promise.resolve(undefined),
        );
        if (deal?.ok) dealId = deal.id;
        else if (deal) notes.push(`the deal was not created: ${deal.error.crmCode}: ${deal.error.message}`);
      }
      const campaignValue = subject.referral?.customFields.crm_campaign_id;
      const campaignId =
        typeof campaignValue === 'string' && campaignValue ? campaignValue : settings.campaignId;
      let campaignFailure: LogInput | undefined;
      if (campaignId && connector.addToCampaign) {
        const member = await patiently(
          () =>
            connector.addToCampaign?.(session, campaignId, object, outcome.id) ?? Promise.resolve(undefined),
        );
        // The record exists either way: its own entry says `created`, this one what the campaign refused.
        if (member && !member.ok) {
          campaignFailure = failureEntry(subject.id, 'Campaign', member, {
            object: 'Campaign',
            id: campaignId,
            url: connector.recordUrl(session, 'Campaign', campaignId),
          });
        }
      }
      await remember(ctx, settings, subject.id, object, outcome.id, dealId);
      entries.push({
        subjectId: subject.id,
        action: 'created',
        crmObject: object,
        crmId: outcome.id,
        crmUrl: connector.recordUrl(session, object, outcome.id),
        message:
          notes.length > 0
            ? `Created, but ${notes.join('; ')}`
            : dealId
              ? `Created with deal ${dealId}`
              : undefined,
      });
      if (campaignFailure) entries.push(campaignFailure);
    }
    await log(entries);
    retryIfAnyRetryable(outcomes);
  }
}

async function updateRecords(
  ctx: AppContext,
  settings: PushSettingsRow,
  updates: Array<{
    subject: PushSubject;
    record: CrmRecord;
    object: string;
    values: Record<string, unknown>;
  }>,
  session: CrmSession,
  connector: CrmConnector,
  log: LogWriter,
): Promise<void> {
  const byObject = new Map<string, typeof updates>();
  for (const update of updates) byObject.set(update.object, [...(byObject.get(update.object) ?? []), update]);
  for (const [object, list] of byObject) {
    // A converted Lead's Contact has other fields: send only the ones it has.
    let allowed: Set<string> | undefined;
    if (object !== settings.crmObject) {
      const fields = await patiently(() => connector.describe(session, object));
      allowed = new Set(fields.filter((field) => field.updateable).map((field) => field.name.toLowerCase()));
    }
    for (let start = 0; start < list.length; start += connector.batchSize) {
      const chunk = list.slice(start, start + connector.batchSize);
      const targets = chunk.map((update) => ({
        id: update.record.convertedContactId ?? update.record.id,
        values: Object.fromEntries(
          Object.entries(update.values).filter(([field]) => !allowed || allowed.has(field.toLowerCase())),
        ),
      }));
      const outcomes = await patiently(() => connector.update(session, object, targets));
      const entries: LogInput[] = [];
      for (const [index, update] of chunk.entries()) {
        const outcome = outcomes[index];
        const target = targets[index];
        if (!outcome || !target) continue;
        if (!outcome.ok) {
          entries.push(
            failureEntry(update.subject.id, object, outcome, {
              object,
              id: target.id,
              url: connector.recordUrl(session, object, target.id),
            }),
          );
          continue;
        }
        await remember(ctx, settings, update.subject.id, object, target.id);
        entries.push({
          subjectId: update.subject.id,
          action: 'updated',
          crmObject: object,
          crmId: target.id,
          crmUrl: connector.recordUrl(session, object, target.id),
          message: `The email already matches ${object} ${target.id}; ${
            settings.existingPolicy === 'fill_blank' ? 'filled blank fields' : 'overwrote mapped fields'
          }: ${Object.keys(target.values).join(', ')}`,
        });
      }
      await log(entries);
      retryIfAnyRetryable(outcomes);
    }
  }
}
