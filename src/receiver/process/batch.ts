import { inArray } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import { type ReceiverSettingsRow, settingsFor } from '../settings/service.ts';
import { salesEntries } from '../tables.ts';
import { writeBatch } from './batch-write.ts';
import { type Decision, decide } from './decide.ts';
import { asText, type EntryOrigin } from './objects.ts';
import { crmFailure, failedAttempt, nothingFound, originOf, processEntry } from './processor.ts';
import { batchReads } from './reads.ts';
import { type EntryRecords, lookup } from './records.ts';
import { type RecordsRequest, resolveRecordsMany } from './records-batch.ts';

/** One entry of a batch, decided and waiting to be written. */
export interface DecidedEntry {
  entry: SalesEntryRow;
  records: EntryRecords | undefined;
  decision: Decision;
}

/** What a batch asks of the queue: whether to run it again later (a passing CRM failure). */
export interface BatchResult {
  retry: unknown;
}

const REFERRAL_ID = /^ref_[0-9a-z]{26}$/;
/** Entries processed at once when a batch falls back to one at a time. */
const PARALLEL = 4;

/** Runs `work` over `items`, `lanes` at a time. */
async function inLanes<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

/**
 * Processes a batch of entries: read once, decide in memory, write set-based in one
 * transaction (`batch-write.ts`). The batch's entries, their connections, settings and
 * programs are read once; the referrals the entries name or refsync pushed as their CRM
 * records are read in one query. When the batch's transaction fails, each of its entries is
 * processed on its own as before (`processEntry`), with the guarantees it always had.
 */
export async function processBatch(
  ctx: AppContext,
  attemptLimit: number,
  jobs: ReadonlyArray<{ workspaceId: string; entryId: string }>,
): Promise<BatchResult> {
  const result: BatchResult = { retry: undefined };
  if (jobs.length === 0) return result;
  const wanted = new Map(jobs.map((job) => [job.entryId, job.workspaceId]));
  const rows = await ctx.db
    .select()
    .from(salesEntries)
    .where(inArray(salesEntries.id, [...wanted.keys()]));
  // Only entries still waiting, each in the workspace its job names, in the jobs' order.
  const order = new Map(jobs.map((job, index) => [job.entryId, index]));
  const entries = rows
    .filter((row) => row.status === 'received' && wanted.get(row.id) === row.workspaceId)
    .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  const byWorkspace = new Map<string, SalesEntryRow[]>();
  for (const entry of entries) {
    byWorkspace.set(entry.workspaceId, [...(byWorkspace.get(entry.workspaceId) ?? []), entry]);
  }
  for (const [workspaceId, list] of byWorkspace) {
    const decided = await decideAll(ctx, workspaceId, list, attemptLimit, result);
    try {
      await writeBatch(ctx, workspaceId, decided);
    } catch (error) {
      ctx.logger.warn(
        { err: error, entries: decided.length },
        'sales entry batch failed: processing its entries one at a time',
      );
      await inLanes(decided, PARALLEL, async ({ entry }) => {
        try {
          await processEntry(ctx, workspaceId, entry.id);
        } catch (failure) {
          const gaveUp = await failedAttempt(ctx, workspaceId, entry.id, failure, attemptLimit);
          if (!gaveUp) result.retry = failure;
        }
      });
    }
  }
  return result;
}

/** Reads what the workspace's entries need and decides each; entries whose CRM read must be retried are left out. */
async function decideAll(
  ctx: AppContext,
  workspaceId: string,
  entries: SalesEntryRow[],
  attemptLimit: number,
  result: BatchResult,
): Promise<DecidedEntry[]> {
  const origins = new Map<string | null, Promise<EntryOrigin | undefined>>();
  const settings = new Map<string | null, Promise<ReceiverSettingsRow[]>>();
  for (const entry of entries) {
    const key = entry.connectionId;
    if (!origins.has(key)) origins.set(key, originOf(ctx.db, entry));
    if (!settings.has(key)) settings.set(key, settingsFor(ctx.db, workspaceId, key));
  }
  const decided: DecidedEntry[] = [];
  const pending: Array<{ entry: SalesEntryRow; records: EntryRecords; settingsList: ReceiverSettingsRow[] }> =
    [];
  const requests: RecordsRequest[] = [];
  for (const entry of entries) {
    const origin = await origins.get(entry.connectionId);
    const settingsList = (await settings.get(entry.connectionId)) ?? [];
    if (!origin) {
      const reason = 'the connection no longer exists';
      decided.push({ entry, records: undefined, decision: { kind: 'failed', reason, match: nothingFound } });
      continue;
    }
    if (settingsList.length === 0 && !entry.requestedMilestone) {
      const where = entry.connectionId ? `connection ${entry.connectionId}` : 'API entries';
      const reason = `no enabled receiver settings for ${where}`;
      decided.push({ entry, records: undefined, decision: { kind: 'failed', reason, match: nothingFound } });
      continue;
    }
    requests.push({ entry, origin, settingsList });
  }
  const answers = await resolveRecordsMany(ctx, requests);
  for (const [index, request] of requests.entries()) {
    const answer = answers[index];
    if (answer && 'records' in answer) {
      pending.push({ entry: request.entry, records: answer.records, settingsList: request.settingsList });
      continue;
    }
    const error = answer?.error;
    const failure = crmFailure(error);
    if (failure) {
      const decision: Decision = { kind: 'failed', ...failure, match: nothingFound };
      decided.push({ entry: request.entry, records: undefined, decision });
      continue;
    }
    const gaveUp = await failedAttempt(ctx, workspaceId, request.entry.id, error, attemptLimit);
    if (!gaveUp) result.retry = error;
  }
  const reads = await batchReads(ctx.db, workspaceId, keysOf(pending));
  for (const item of pending) {
    decided.push({
      ...item,
      decision: await decide(ctx, item.entry, item.records, item.settingsList, reads),
    });
  }
  // Arrival order, so entries about one referral are written as they would be one by one.
  const order = new Map(entries.map((entry, index) => [entry.id, index]));
  return decided.sort((a, b) => (order.get(a.entry.id) ?? 0) - (order.get(b.entry.id) ?? 0));
}

/** Every referral ID and CRM record ID the entries may look a referral up by. */
function keysOf(
  pending: ReadonlyArray<{
    entry: SalesEntryRow;
    records: EntryRecords;
    settingsList: ReceiverSettingsRow[];
  }>,
) {
  const referralIds: string[] = [];
  const crmIds: string[] = [];
  for (const { entry, records, settingsList } of pending) {
    if (entry.referralId) referralIds.push(entry.referralId);
    for (const settings of settingsList) {
      for (const rule of settings.targetMatch) {
        if (rule.matchOn !== 'referralId') continue;
        const value = asText(lookup(records, rule.object, rule.field))?.trim();
        if (value) referralIds.push(value);
      }
    }
    for (const value of Object.values(records.values)) {
      const text = asText(value)?.trim();
      if (text && REFERRAL_ID.test(text)) referralIds.push(text);
    }
    if (records.recordId) crmIds.push(records.recordId);
    for (const values of Object.values(records.related)) {
      const id = asText(values?.Id);
      if (id) crmIds.push(id);
    }
  }
  return { referralIds, crmIds };
}
