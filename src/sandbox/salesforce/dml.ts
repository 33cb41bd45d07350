import { sfDateTime } from './datetime.ts';
import { checkDuplicates } from './duplicates.ts';
import { SfError, sfErrors } from './errors.ts';
import { recordsWithValue, reindexRow } from './field-index.ts';
import { coerceValue, findField, requireObject } from './fields.ts';
import { looksLikeId, makeId, to18 } from './ids.ts';
import { queueNotifications } from './outbound/rules.ts';
import type { FieldDef, ObjectDef } from './schema.ts';
import { OPPORTUNITY_STAGES } from './standard-objects.ts';
import type { FieldValue, OrgState, SfRecord } from './state.ts';

/** Who writes and how: every write path (REST, collections, composite, web page) builds one. */
export interface DmlContext {
  org: OrgState;
  now: number;
  /** API version of the request, used in record URLs inside errors. */
  version: string;
  /** Set by `Sforce-Duplicate-Rule-Header: allowSave=true`. */
  allowDuplicates: boolean;
  /** Internal writes (lead conversion) may set read-only fields and touch converted leads. */
  system?: boolean;
}

export interface UpsertResult {
  id: string;
  created: boolean;
}

function table(org: OrgState, type: string): Record<string, SfRecord> {
  const existing = org.records[type];
  if (existing) return existing;
  const created: Record<string, SfRecord> = {};
  org.records[type] = created;
  return created;
}

/** A live record of `type`, or the error Salesforce answers for a missing or deleted one. */
export function liveRecord(org: OrgState, def: ObjectDef, id: string): SfRecord {
  const record = looksLikeId(id) ? org.records[def.name]?.[to18(id)] : undefined;
  if (!record) throw sfErrors.notFound();
  if (record.IsDeleted === true) throw sfErrors.entityDeleted();
  return record;
}

/**
 * Maps a request body onto canonical field names and stored values. Unknown fields answer
 * INVALID_FIELD, read-only ones INVALID_FIELD_FOR_INSERT_UPDATE (unless a system write).
 */
function readInput(
  ctx: DmlContext,
  def: ObjectDef,
  input: Record<string, unknown>,
  mode: 'create' | 'update',
): Map<FieldDef, FieldValue> {
  const values = new Map<FieldDef, FieldValue>();
  const readOnly: string[] = [];
  for (const [key, raw] of Object.entries(input)) {
    if (key === 'attributes') continue;
    const field = findField(def, key);
    if (!field) throw sfErrors.invalidField(key, def.name);
    if (field.name === 'Id') {
      if (mode === 'create') {
        throw new SfError(400, 'INVALID_FIELD', 'The Id field should not be specified in the sobject data.');
      }
      continue;
    }
    const allowed = mode === 'create' ? field.createable : field.updateable;
    if (!allowed && !ctx.system) {
      readOnly.push(field.name);
      continue;
    }
    values.set(field, coerceValue(ctx.org, field, raw));
  }
  if (readOnly.length > 0) {
    throw new SfError(
      400,
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      `Unable to create/update fields: ${readOnly.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      readOnly,
    );
  }
  return values;
}

function checkRequired(def: ObjectDef, record: SfRecord): void {
  const missing = def.fields
    .filter((f) => f.required && (record[f.name] === null || record[f.name] === undefined))
    .map((f) => f.name);
  if (missing.length > 0) {
    throw new SfError(
      400,
      'REQUIRED_FIELD_MISSING',
      `Required fields are missing: [${missing.join(', ')}]`,
      missing,
    );
  }
}

function checkUnique(org: OrgState, def: ObjectDef, record: SfRecord): void {
  for (const field of def.fields) {
    if (!field.unique) continue;
    const value = record[field.name];
    if (value === null || value === undefined) continue;
    const clash = recordsWithValue(org, def.name, field.name, value).find(
      (r) => r.Id !== record.Id && r.IsDeleted !== true,
    );
    if (clash) {
      throw new SfError(
        400,
        'DUPLICATE_VALUE',
        `duplicate value found: ${field.name} duplicates value on record with id: ${String(clash.Id)}`,
        [field.name],
      );
    }
  }
}

/** Values Salesforce computes from others: full names, opportunity stage flags, membership. */
function derive(org: OrgState, def: ObjectDef, record: SfRecord, changed: Set<string>): void {
  if (def.name === 'Lead' || def.name === 'Contact') {
    record.Name = [record.FirstName, record.LastName]
      .filter((v) => typeof v === 'string' && v !== '')
      .join(' ');
  }
  if (def.name === 'Opportunity') {
    const stage = OPPORTUNITY_STAGES.find((s) => s.value === record.StageName);
    if (stage) {
      record.IsClosed = stage.closed;
      record.IsWon = stage.won;
      if (changed.has('StageName') && !changed.has('Probability')) record.Probability = stage.probability;
    }
  }
  if (def.name === 'CampaignMember') {
    record.HasResponded = record.Status === 'Responded';
    if (changed.has('CampaignId') || changed.has('LeadId') || changed.has('ContactId')) {
      if (record.LeadId === null && record.ContactId === null) {
        throw new SfError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [LeadId, ContactId]', [
          'LeadId',
          'ContactId',
        ]);
      }
      const clash = Object.values(org.records.CampaignMember ?? {}).find(
        (m) =>
          m.Id !== record.Id &&
          m.IsDeleted !== true &&
          m.CampaignId === record.CampaignId &&
          ((record.LeadId !== null && m.LeadId === record.LeadId) ||
            (record.ContactId !== null && m.ContactId === record.ContactId)),
      );
      if (clash) throw new SfError(400, 'DUPLICATE_VALUE', 'Already a campaign member.', []);
    }
  }
}

export function createRecord(ctx: DmlContext, type: string, input: Record<string, unknown>): string {
  const def = requireObject(ctx.org, type);
  if (!def.writable && !ctx.system) {
    throw new SfError(400, 'INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id');
  }
  const values = readInput(ctx, def, input, 'create');
  const { org } = ctx;
  const stamp = sfDateTime(ctx.now);
  const record: SfRecord = {};
  for (const field of def.fields) {
    const defaultValue = field.defaultValue ?? (field.type === 'boolean' ? false : null);
    record[field.name] = defaultValue;
  }
  for (const [field, value] of values) record[field.name] = value;
  const nextId = makeId(def.keyPrefix, org.pod, org.sequence + 1);
  Object.assign(record, {
    Id: nextId,
    IsDeleted: false,
    CreatedDate: stamp,
    CreatedById: org.userId,
    LastModifiedDate: stamp,
    LastModifiedById: org.userId,
    SystemModstamp: stamp,
  });
  if ('OwnerId' in record && record.OwnerId === null) record.OwnerId = org.userId;
  checkRequired(def, record);
  derive(org, def, record, new Set([...values.keys()].map((f) => f.name)));
  checkUnique(org, def, record);
  if (!ctx.allowDuplicates) checkDuplicates(org, def.name, record, ctx.version);
  org.sequence += 1;
  writeRow(org, def.name, nextId, record);
  queueNotifications(org, { object: def.name, before: null, after: record }, ctx.now);
  return nextId;
}

export function updateRecord(
  ctx: DmlContext,
  type: string,
  id: string,
  input: Record<string, unknown>,
): void {
  const def = requireObject(ctx.org, type);
  if (!def.writable && !ctx.system) {
    throw new SfError(400, 'INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id');
  }
  const current = liveRecord(ctx.org, def, id);
  if (def.name === 'Lead' && current.IsConverted === true && !ctx.system) {
    throw new SfError(400, 'CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead', []);
  }
  const values = readInput(ctx, def, input, 'update');
  const next: SfRecord = { ...current };
  for (const [field, value] of values) next[field.name] = value;
  checkRequired(def, next);
  const changed = new Set([...values.keys()].map((f) => f.name));
  derive(ctx.org, def, next, changed);
  checkUnique(ctx.org, def, next);
  const emailChanged = changed.has('Email') && next.Email !== current.Email;
  if (!ctx.allowDuplicates && emailChanged) checkDuplicates(ctx.org, def.name, next, ctx.version);
  const stamp = sfDateTime(ctx.now);
  next.LastModifiedDate = stamp;
  next.LastModifiedById = ctx.org.userId;
  next.SystemModstamp = stamp;
  writeRow(ctx.org, def.name, String(current.Id), next);
  queueNotifications(ctx.org, { object: def.name, before: current, after: next }, ctx.now);
}

export function deleteRecord(ctx: DmlContext, type: string, id: string): void {
  const def = requireObject(ctx.org, type);
  if (!def.writable) {
    throw new SfError(400, 'INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id');
  }
  const current = liveRecord(ctx.org, def, id);
  const stamp = sfDateTime(ctx.now);
  writeRow(ctx.org, def.name, String(current.Id), { ...current, IsDeleted: true, SystemModstamp: stamp });
}

/** Fields that can key an upsert: external IDs and the standard idLookup fields. */
export function upsertKeyField(def: ObjectDef, name: string): FieldDef {
  const field = findField(def, name);
  if (!field || !(field.externalId || field.idLookup)) {
    throw new SfError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${name}`,
    );
  }
  return field;
}

export function findByField(org: OrgState, def: ObjectDef, field: FieldDef, value: string): SfRecord[] {
  if (field.name === 'Id') {
    const record = looksLikeId(value) ? org.records[def.name]?.[to18(value)] : undefined;
    return record && record.IsDeleted !== true ? [record] : [];
  }
  return recordsWithValue(org, def.name, field.name, value).filter((r) => r.IsDeleted !== true);
}

/**
 * Inserts or updates by an external ID. Several matches answer 300 with the matching record
 * URLs, as Salesforce does.
 */
export function upsertRecord(
  ctx: DmlContext,
  type: string,
  keyName: string,
  keyValue: string,
  input: Record<string, unknown>,
): UpsertResult {
  const def = requireObject(ctx.org, type);
  const key = upsertKeyField(def, keyName);
  const matches = findByField(ctx.org, def, key, keyValue);
  if (matches.length > 1) {
    throw new SfError(
      300,
      'MULTIPLE_CHOICES',
      'More than one record found for external id field',
      undefined,
      {
        urls: matches.map((r) => `/services/data/v${ctx.version}/sobjects/${def.name}/${String(r.Id)}`),
      },
    );
  }
  const body = { ...input };
  for (const k of Object.keys(body)) {
    if (k.toLowerCase() === key.name.toLowerCase()) delete body[k];
  }
  const match = matches[0];
  if (match) {
    updateRecord(ctx, def.name, String(match.Id), body);
    return { id: String(match.Id), created: false };
  }
  if (key.name === 'Id') throw sfErrors.notFound();
  const id = createRecord(ctx, def.name, { ...body, [key.name]: keyValue });
  return { id, created: true };
}

/** The row a write replaced (undefined when it created the row), so it can be put back. */
interface UndoEntry {
  type: string;
  id: string;
  previous: SfRecord | undefined;
}

/**
 * Open transactions per org, innermost last. Writes record what they replace in the
 * innermost journal; rolling back replays it in reverse. This keeps a batch's cost
 * proportional to what it touches, not to the size of the org.
 */
const journals = new WeakMap<OrgState, UndoEntry[][]>();

function writeRow(org: OrgState, type: string, id: string, record: SfRecord): void {
  const rows = table(org, type);
  const previous = rows[id];
  journals.get(org)?.at(-1)?.push({ type, id, previous });
  rows[id] = record;
  reindexRow(org, type, id, previous, record);
}

export interface Transaction {
  commit(): void;
  rollback(): void;
}

/**
 * Starts a transaction on an org. Callers run synchronously between begin and
 * commit/rollback, so nothing else writes meanwhile; queued outbound notifications are
 * trimmed back on rollback.
 */
export function beginTransaction(org: OrgState): Transaction {
  const stack = journals.get(org) ?? [];
  journals.set(org, stack);
  const journal: UndoEntry[] = [];
  stack.push(journal);
  const queueLength = org.outbound.queue.length;
  const close = () => {
    const index = stack.lastIndexOf(journal);
    if (index !== -1) stack.splice(index, 1);
    if (stack.length === 0) journals.delete(org);
  };
  return {
    commit: () => {
      close();
      // Still inside an outer transaction: its rollback must undo these writes too.
      stack.at(-1)?.push(...journal);
    },
    rollback: () => {
      close();
      for (const entry of journal.reverse()) {
        const rows = table(org, entry.type);
        const current = rows[entry.id];
        if (entry.previous === undefined) delete rows[entry.id];
        else rows[entry.id] = entry.previous;
        reindexRow(org, entry.type, entry.id, current, entry.previous);
      }
      org.outbound.queue.splice(queueLength);
    },
  };
}

/** Runs `work` so that a thrown error leaves the org's records and outbound queue as they were. */
export function inTransaction<T>(org: OrgState, work: () => T): T {
  const transaction = beginTransaction(org);
  try {
    const result = work();
    transaction.commit();
    return result;
  } catch (error) {
    transaction.rollback();
    throw error;
  }
}
