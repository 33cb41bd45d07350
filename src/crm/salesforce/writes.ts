import type { DmlOptions } from 'jsforce';
import { CrmError } from '../errors.ts';
import type { CrmSession, WriteOutcome } from '../types.ts';
import { callError } from './call-errors.ts';
import { openConnection, salesforceCall } from './connection.ts';
import type { ResolvedOptions } from './options.ts';
import { CAMPAIGN_MEMBER_FIELDS, MAX_RECORDS_PER_COLLECTION } from './provider.ts';
import { queryRows } from './query.ts';
import { singleOutcome, writeOutcomes } from './save-results.ts';
import { soqlName, soqlString } from './soql.ts';

/** Lets a save through an alerting duplicate rule (blocking rules still refuse it). */
const DUPLICATE_BYPASS: Record<string, string> = { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' };

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/**
 * Sends `items` in collections of 200, one call after the other. When a call fails after
 * earlier ones were saved, the saved records keep their outcomes (their IDs must reach the
 * caller, or a retry would create them twice) and every unsent record gets the call's error.
 * When the first call fails, nothing was written and the error is thrown.
 */
async function inCollections<T>(
  items: readonly T[],
  send: (chunk: T[]) => Promise<unknown>,
  options: ResolvedOptions,
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  for (const chunk of chunks(items, MAX_RECORDS_PER_COLLECTION)) {
    try {
      const results = await salesforceCall(options, () => send(chunk));
      outcomes.push(...writeOutcomes(results, chunk.length));
    } catch (error) {
      const failure = callError(error, options);
      if (outcomes.length === 0) throw failure;
      const unsent = items.length - outcomes.length;
      for (let i = 0; i < unsent; i += 1) outcomes.push({ ok: false, error: failure });
      return outcomes;
    }
  }
  return outcomes;
}

export async function create(
  session: CrmSession,
  object: string,
  records: Array<Record<string, unknown>>,
  allowDuplicates: boolean,
  options: ResolvedOptions,
): Promise<WriteOutcome[]> {
  if (records.length === 0) return [];
  const conn = openConnection(session, options);
  const type = soqlName(object);
  const dml: DmlOptions = allowDuplicates
    ? { allOrNone: false, headers: DUPLICATE_BYPASS }
    : { allOrNone: false };
  return inCollections(records, (chunk) => conn.create(type, chunk, dml), options);
}

export async function update(
  session: CrmSession,
  object: string,
  updates: Array<{ id: string; values: Record<string, unknown> }>,
  options: ResolvedOptions,
): Promise<WriteOutcome[]> {
  if (updates.length === 0) return [];
  const conn = openConnection(session, options);
  const type = soqlName(object);
  const records = updates.map((u) => ({ ...u.values, Id: u.id }));
  return inCollections(records, (chunk) => conn.update(type, chunk, { allOrNone: false }), options);
}

/**
 * Adds a Lead or Contact to a campaign. Salesforce refuses a second membership with
 * DUPLICATE_VALUE; the state asked for already holds then, so the existing membership is
 * looked up and answered, which keeps a re-run push from reporting a failure.
 */
export async function addToCampaign(
  session: CrmSession,
  campaignId: string,
  object: string,
  recordId: string,
  options: ResolvedOptions,
): Promise<WriteOutcome> {
  const relation = CAMPAIGN_MEMBER_FIELDS[object];
  if (relation === undefined) {
    const error = new CrmError(
      'validation',
      'INVALID_TYPE',
      `Only Leads and Contacts can join a campaign, not ${object}.`,
    );
    return { ok: false, error };
  }
  const conn = openConnection(session, options);
  const member = { CampaignId: campaignId, [relation]: recordId };
  const results = await salesforceCall(options, () =>
    conn.create('CampaignMember', [member], { allOrNone: false }),
  );
  const outcome = singleOutcome(results);
  if (outcome.ok || outcome.error.crmCode !== 'DUPLICATE_VALUE') return outcome;
  const soql = `SELECT Id FROM CampaignMember WHERE CampaignId = ${soqlString(campaignId)} AND ${soqlName(relation)} = ${soqlString(recordId)}`;
  const [existing] = await queryRows(conn, soql, options);
  return typeof existing?.Id === 'string' ? { ok: true, id: existing.Id } : outcome;
}
