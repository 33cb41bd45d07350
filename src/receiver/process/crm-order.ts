import { and, eq, gte, inArray, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { MilestoneDefinition } from '../../programs/tables.ts';
import { type MilestoneStep, stepMilestone } from '../../referrals/milestone-rules.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import { salesEntries } from '../tables.ts';

/**
 * Kept in `changes.ordering` of every entry applied to a referral with a CRM time, refused
 * moves included: what it asked for and where it stands in the CRM's order, so an older
 * event that arrives later can be placed before it and the outcome worked out again.
 */
export interface OrderingRecord extends MilestoneStep {
  /** Referral fields the entry sets (`company`, `custom.seats`). */
  fields: string[];
  /** The referral's milestone just before and just after it, in the CRM's order. */
  before: string;
  after: string;
}

/** A decided entry of the same referral, later in the CRM's order. */
export interface NewerEntry {
  id: string;
  occurredAt: Date;
  dedupeKey: string;
  status: string;
  changes: Record<string, unknown> | null;
  ordering: OrderingRecord | undefined;
}

type Timed = Pick<SalesEntryRow, 'dedupeKey'> & { occurredAt: Date };

/**
 * The CRM's order: its modification time, then the dedupe key (the CRM's own event ID, the
 * same whatever order deliveries arrive in) for events of the same instant. Keys compare by
 * code point, never by a database collation.
 */
export function crmOrder(a: Timed, b: Timed): number {
  const byTime = a.occurredAt.getTime() - b.occurredAt.getTime();
  if (byTime !== 0) return byTime;
  if (a.dedupeKey === b.dedupeKey) return 0;
  return a.dedupeKey < b.dedupeKey ? -1 : 1;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

export function orderingOf(changes: Record<string, unknown> | null): OrderingRecord | undefined {
  const value = changes?.ordering;
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (
    (typeof record.milestone !== 'string' && record.milestone !== null) ||
    typeof record.allowBackward !== 'boolean' ||
    typeof record.overrideDenied !== 'boolean' ||
    !isStringList(record.fields) ||
    typeof record.before !== 'string' ||
    typeof record.after !== 'string'
  ) {
    return undefined;
  }
  return {
    milestone: record.milestone,
    allowBackward: record.allowBackward,
    overrideDenied: record.overrideDenied,
    fields: record.fields,
    before: record.before,
    after: record.after,
  };
}

/**
 * Entries about the referral that were decided (applied, or refused by a rule) and come
 * later than `entry` in the CRM's order, oldest first. The caller holds the referral's
 * lock, so no other entry about it is being decided meanwhile.
 */
export async function newerDecided(
  tx: Db,
  entry: SalesEntryRow & { occurredAt: Date },
  referralId: string,
): Promise<NewerEntry[]> {
  const rows = await tx
    .select({
      id: salesEntries.id,
      occurredAt: salesEntries.occurredAt,
      dedupeKey: salesEntries.dedupeKey,
      status: salesEntries.status,
      changes: salesEntries.changes,
    })
    .from(salesEntries)
    .where(
      and(
        eq(salesEntries.workspaceId, entry.workspaceId),
        eq(salesEntries.referralId, referralId),
        inArray(salesEntries.status, ['success', 'ignored']),
        ne(salesEntries.id, entry.id),
        gte(salesEntries.occurredAt, entry.occurredAt),
      ),
    );
  const newer: NewerEntry[] = [];
  for (const row of rows) {
    if (!row.occurredAt) continue;
    const placed = { ...row, occurredAt: row.occurredAt, ordering: orderingOf(row.changes ?? null) };
    if (crmOrder(placed, entry) > 0) newer.push(placed);
  }
  return newer.sort(crmOrder);
}

export function newerReason(newer: Pick<NewerEntry, 'id' | 'occurredAt'>): string {
  return `a newer event from the CRM was already applied: entry ${newer.id} from ${newer.occurredAt.toISOString()}`;
}

export interface LateFold {
  /** The last entry in the CRM's order. */
  newest: NewerEntry;
  /** Where the newer entries leave the referral without the late one, and with it. */
  without: string;
  with: string;
  /** The late entry's own place. */
  before: string;
  after: string;
  /** Fields a newer entry sets: its value stands. */
  newerFields: Set<string>;
  /** Newer entries whose place moved, with their `changes` to save. */
  updates: Array<{ id: string; changes: Record<string, unknown> }>;
}

/**
 * Places a late entry before the newer ones and replays their steps through the milestone
 * rules, from the milestone the oldest newer entry started at. `newer` holds entries with
 * an ordering record only, oldest first, at least one.
 */
export function foldLate(
  milestones: readonly MilestoneDefinition[],
  newer: NewerEntry[],
  step: MilestoneStep,
): LateFold | undefined {
  const first = newer[0]?.ordering;
  const newest = newer.at(-1);
  if (!first || !newest) return undefined;
  let without = first.before;
  for (const entry of newer) {
    if (entry.ordering) without = stepMilestone(milestones, without, entry.ordering).milestone;
  }
  const before = first.before;
  const after = stepMilestone(milestones, before, step).milestone;
  let state = after;
  const newerFields = new Set<string>();
  const updates: LateFold['updates'] = [];
  for (const entry of newer) {
    const ordering = entry.ordering;
    if (!ordering) continue;
    for (const field of ordering.fields) newerFields.add(field);
    const next = stepMilestone(milestones, state, ordering).milestone;
    if (ordering.before !== state || ordering.after !== next) {
      updates.push({
        id: entry.id,
        changes: { ...entry.changes, ordering: { ...ordering, before: state, after: next } },
      });
    }
    state = next;
  }
  return { newest, without, with: state, before, after, newerFields, updates };
}

export async function saveFold(tx: Db, fold: LateFold): Promise<void> {
  for (const update of fold.updates) {
    await tx.update(salesEntries).set({ changes: update.changes }).where(eq(salesEntries.id, update.id));
  }
}

/**
 * For a batch: the referrals among `referralIds` that have an entry decided at or after
 * `since` (which may be later in the CRM's order than an entry of the batch), with those
 * entries' times and keys, one query for the whole batch.
 */
export async function decidedSince(
  tx: Db,
  workspaceId: string,
  referralIds: string[],
  since: Date,
): Promise<Map<string, Array<{ id: string; occurredAt: Date; dedupeKey: string }>>> {
  const found = new Map<string, Array<{ id: string; occurredAt: Date; dedupeKey: string }>>();
  if (referralIds.length === 0) return found;
  const rows = await tx
    .select({
      id: salesEntries.id,
      referralId: salesEntries.referralId,
      occurredAt: salesEntries.occurredAt,
      dedupeKey: salesEntries.dedupeKey,
    })
    .from(salesEntries)
    .where(
      and(
        eq(salesEntries.workspaceId, workspaceId),
        inArray(salesEntries.referralId, referralIds),
        inArray(salesEntries.status, ['success', 'ignored']),
        gte(salesEntries.occurredAt, since),
      ),
    );
  for (const row of rows) {
    if (!row.referralId || !row.occurredAt) continue;
    const list = found.get(row.referralId) ?? [];
    list.push({ id: row.id, occurredAt: row.occurredAt, dedupeKey: row.dedupeKey });
    found.set(row.referralId, list);
  }
  return found;
}
