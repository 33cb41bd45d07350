import type { StandardError } from '@hubspot/api-client/lib/codegen/crm/objects/models/StandardError.js';
import { CrmError } from '../errors.ts';
import type { CrmSession, WriteOutcome } from '../types.ts';
import { type CallOptions, type HubspotApis, sessionApis } from './client.ts';
import { fromBatchError, hubspotCall, isRecordFailure } from './errors.ts';
import { LIMITS } from './facts.ts';
import { chunks, toPropertyValues } from './values.ts';

/**
 * Creating and updating records in batches of 100, one outcome per input in input order.
 *
 * Batch create sends an `objectWriteTraceId` per input, which makes HubSpot answer 207 with
 * per-input errors instead of refusing the whole batch for one duplicate email. When a
 * batch is still refused as a whole for its data (400, 409: e.g. the same email twice in
 * one batch), nothing of it was written, so its records are sent again one by one and each
 * gets its own outcome.
 *
 * A call-level failure (auth, rate limit, outage) throws while nothing has been written
 * yet. After some records were written it becomes the outcome of every record not yet
 * written, so the IDs already created are not lost and a retry does not duplicate them.
 */

type Emit = (outcome: WriteOutcome) => void;

async function writeInChunks<T>(
  items: readonly T[],
  writeChunk: (chunk: T[], emit: Emit) => Promise<void>,
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  const emit: Emit = (outcome) => {
    outcomes.push(outcome);
  };
  try {
    for (const chunk of chunks(items, LIMITS.batchInputs)) await writeChunk(chunk, emit);
  } catch (error) {
    if (!(error instanceof CrmError) || !outcomes.some((outcome) => outcome.ok)) throw error;
    while (outcomes.length < items.length) outcomes.push({ ok: false, error });
  }
  return outcomes;
}

/** One record's call: its data's failures are its outcome, the call's failures are thrown. */
async function oneRecord(call: () => Promise<{ id: string }>): Promise<WriteOutcome> {
  try {
    const written = await hubspotCall(call);
    return { ok: true, id: written.id };
  } catch (error) {
    if (error instanceof CrmError && isRecordFailure(error)) return { ok: false, error };
    throw error;
  }
}

/** The batch as a whole was refused for its data: nothing of it was written. */
function refusedForData(error: unknown): boolean {
  return error instanceof CrmError && (error.kind === 'validation' || error.kind === 'duplicate');
}

function missingOutcome(): WriteOutcome {
  return {
    ok: false,
    error: new CrmError(
      'unavailable',
      'NO_OUTCOME',
      'HubSpot answered the batch without an outcome for this record',
    ),
  };
}

function contextValues(error: StandardError, key: string): string[] {
  const values = error.context?.[key];
  return Array.isArray(values) ? values : [];
}

export async function create(
  session: CrmSession,
  object: string,
  records: Array<Record<string, unknown>>,
  call: CallOptions,
): Promise<WriteOutcome[]> {
  const apis = sessionApis(session, call);
  return writeInChunks(records, (chunk, emit) => createChunk(apis, object, chunk, emit));
}

async function createChunk(
  apis: HubspotApis,
  object: string,
  chunk: Array<Record<string, unknown>>,
  emit: Emit,
): Promise<void> {
  const inputs = chunk.map((values, index) => ({
    properties: toPropertyValues(values),
    associations: [],
    objectWriteTraceId: String(index),
  }));
  let answer: Awaited<ReturnType<HubspotApis['objects']['batchApi']['create']>>;
  try {
    answer = await hubspotCall(() => apis.objects.batchApi.create(object, { inputs }));
  } catch (error) {
    if (!refusedForData(error)) throw error;
    for (const input of inputs) {
      emit(
        await oneRecord(() =>
          apis.objects.basicApi.create(object, { properties: input.properties, associations: [] }),
        ),
      );
    }
    return;
  }
  const refused = new Map<string, CrmError>();
  for (const error of 'errors' in answer ? (answer.errors ?? []) : []) {
    for (const traceId of contextValues(error, 'objectWriteTraceId'))
      refused.set(traceId, fromBatchError(error));
  }
  const ids = matchCreated(inputs, answer.results);
  inputs.forEach((input, index) => {
    const id = ids[index];
    const error = refused.get(input.objectWriteTraceId);
    if (id !== undefined) emit({ ok: true, id });
    else if (error !== undefined) emit({ ok: false, error });
    else emit(missingOutcome());
  });
}

/**
 * Which created record belongs to which input: by the trace id HubSpot echoes; failing
 * that, a contact by its (unique) email; failing that, a complete answer in order.
 */
function matchCreated(
  inputs: Array<{ properties: Record<string, string>; objectWriteTraceId: string }>,
  results: Array<{ id: string; objectWriteTraceId?: string; properties: Record<string, string | null> }>,
): Array<string | undefined> {
  const byTrace = new Map<string, string>();
  const byEmail = new Map<string, string>();
  for (const result of results) {
    if (result.objectWriteTraceId !== undefined) byTrace.set(result.objectWriteTraceId, result.id);
    else if (typeof result.properties.email === 'string' && result.properties.email !== '')
      byEmail.set(result.properties.email.toLowerCase(), result.id);
  }
  if (byTrace.size === 0 && byEmail.size === 0 && results.length === inputs.length) {
    return results.map((result) => result.id);
  }
  return inputs.map(
    (input) =>
      byTrace.get(input.objectWriteTraceId) ??
      byEmail.get(input.properties.email?.trim().toLowerCase() ?? ''),
  );
}

export async function update(
  session: CrmSession,
  object: string,
  updates: Array<{ id: string; values: Record<string, unknown> }>,
  call: CallOptions,
): Promise<WriteOutcome[]> {
  const apis = sessionApis(session, call);
  return writeInChunks(updates, (chunk, emit) => updateChunk(apis, object, chunk, emit));
}

async function updateChunk(
  apis: HubspotApis,
  object: string,
  chunk: Array<{ id: string; values: Record<string, unknown> }>,
  emit: Emit,
): Promise<void> {
  const inputs = chunk.map((entry) => ({ id: entry.id, properties: toPropertyValues(entry.values) }));
  let answer: Awaited<ReturnType<HubspotApis['objects']['batchApi']['update']>>;
  try {
    answer = await hubspotCall(() => apis.objects.batchApi.update(object, { inputs }));
  } catch (error) {
    if (!refusedForData(error)) throw error;
    for (const input of inputs) {
      emit(
        await oneRecord(() =>
          apis.objects.basicApi.update(object, input.id, { properties: input.properties }),
        ),
      );
    }
    return;
  }
  const updated = new Set(answer.results.map((result) => result.id));
  const refused = new Map<string, CrmError>();
  let unattributed: CrmError | undefined;
  for (const error of 'errors' in answer ? (answer.errors ?? []) : []) {
    const ids = contextValues(error, 'ids');
    if (ids.length === 0) unattributed ??= fromBatchError(error);
    for (const id of ids) refused.set(id, fromBatchError(error));
  }
  for (const input of inputs) {
    const error = refused.get(input.id) ?? (updated.has(input.id) ? undefined : unattributed);
    if (error !== undefined) emit({ ok: false, error });
    else if (updated.has(input.id)) emit({ ok: true, id: input.id });
    else emit(missingOutcome());
  }
}
