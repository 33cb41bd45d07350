import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import { CrmError } from '../crm/errors.ts';
import type { CrmConnector, CrmRecord, CrmSession, WriteOutcome } from '../crm/types.ts';
import { failureEntry, type LogInput, type LogWriter } from './log-entries.ts';
import type { PushSettingsRow } from './settings-service.ts';
import type { PushSubject } from './values.ts';

/** The CRM writes of one push: creating records (with deal and campaign) and updating matched ones. */

/** Wait inline for a short rate-limit window instead of failing the whole batch. */
const maxInlineWaitMs = 15_000;

/**
 * Some records of a batch failed in a way that can pass (a later collection call hit a limit
 * or an outage). They are logged already; this makes the job retry them.
 */
export class RetryLater extends AppError {
  constructor(readonly crmError: CrmError) {
    super('crm_error', crmError.message, { retryable: true, cause: crmError });
    this.name = 'RetryLater';
  }
}

function retryIfAnyRetryable(outcomes: WriteOutcome[]): void {
  const retryable = outcomes.find((outcome) => !outcome.ok && outcome.error.retryable);
  if (retryable && !retryable.ok) throw new RetryLater(retryable.error);
}

export async function patiently<T>(call: () => Promise<T>): Promise<T> {
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

/** One matched record to update: the object written (a converted Lead's Contact) and the values. */
export interface PendingUpdate {
  subject: PushSubject;
  record: CrmRecord;
  object: string;
  values: Record<string, unknown>;
}

/**
 * CRM batch calls of one push that may be in flight at once. The connector's pacer (where the
 * CRM has a rate limit) decides when each goes; this only lets them overlap.
 */
export const CHUNKS_IN_FLIGHT = 4;

/** Runs `work` on every chunk, a few at a time; every chunk runs, then the first failure is thrown. */
async function eachChunk<T>(items: readonly T[], size: number, work: (chunk: T[]) => Promise<void>) {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  let next = 0;
  const failures: unknown[] = [];
  const lane = async () => {
    for (let chunk = chunks[next++]; chunk !== undefined; chunk = chunks[next++]) {
      try {
        await work(chunk);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, chunks.length) }, lane));
  // A call-level failure (the CRM unavailable) says more than a record's RetryLater.
  const first = failures.find((error) => !(error instanceof RetryLater)) ?? failures[0];
  if (first !== undefined) throw first;
}

export async function createRecords(
  ctx: AppContext,
  settings: PushSettingsRow,
  subjects: PushSubject[],
  valuesOf: Map<string, Record<string, unknown>>,
  session: CrmSession,
  connector: CrmConnector,
  log: LogWriter,
): Promise<void> {
  const object = settings.crmObject;
  await eachChunk(subjects, connector.batchSize, async (chunk) => {
    const outcomes = await patiently(() =>
      connector.create(
        session,
        object,
        chunk.map((subject) => valuesOf.get(subject.id) ?? {}),
        { allowDuplicates: settings.existingPolicy === 'create_duplicate' },
      ),
    );
    const entries: LogInput[] = [];
    const written: PushSubject[] = [];
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
      written.push(subject);
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
        pushed: { crmObject: object, crmId: outcome.id, dealId },
      });
      if (campaignFailure) entries.push(campaignFailure);
    }
    await log(entries);
    observeWritten(ctx, settings, written);
    retryIfAnyRetryable(outcomes);
  });
}

/** Referral created → CRM record written, for the histogram on /metrics. */
function observeWritten(ctx: AppContext, settings: PushSettingsRow, subjects: PushSubject[]): void {
  const now = Date.now();
  for (const subject of subjects) {
    if (!subject.referral) continue;
    ctx.metrics.referralToCrm.observe(
      { connection: settings.connectionId },
      Math.max(0, now - subject.referral.createdAt.getTime()) / 1000,
    );
  }
}

export async function updateRecords(
  ctx: AppContext,
  settings: PushSettingsRow,
  updates: PendingUpdate[],
  session: CrmSession,
  connector: CrmConnector,
  log: LogWriter,
): Promise<void> {
  const byObject = new Map<string, PendingUpdate[]>();
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
      const written: PushSubject[] = [];
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
        written.push(update.subject);
        entries.push({
          subjectId: update.subject.id,
          action: 'updated',
          crmObject: object,
          crmId: target.id,
          crmUrl: connector.recordUrl(session, object, target.id),
          message: `The email already matches ${object} ${target.id}; ${
            settings.existingPolicy === 'fill_blank' ? 'filled blank fields' : 'overwrote mapped fields'
          }: ${Object.keys(target.values).join(', ')}`,
          pushed: { crmObject: object, crmId: target.id },
        });
      }
      await log(entries);
      observeWritten(ctx, settings, written);
      retryIfAnyRetryable(outcomes);
    }
  }
}
