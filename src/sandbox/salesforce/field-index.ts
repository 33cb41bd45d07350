import type { FieldValue, OrgState, SfRecord } from './state.ts';

type ValueIndex = Map<string, Set<string>>;

/**
 * Case-insensitive value → record IDs indexes for the fields looked up on every write
 * (duplicate-rule e-mails, external IDs, unique fields), so bulk loads stay linear. Built
 * lazily per org, object and field; kept current by `reindexRow`, which every row write and
 * rollback calls.
 */
const indexes = new WeakMap<OrgState, Map<string, Map<string, ValueIndex>>>();

function keyOf(value: FieldValue | undefined): string | null {
  return value === null || value === undefined || value === '' ? null : String(value).toLowerCase();
}

function add(index: ValueIndex, key: string | null, id: string): void {
  if (key === null) return;
  const ids = index.get(key) ?? new Set<string>();
  ids.add(id);
  index.set(key, ids);
}

function fieldIndex(org: OrgState, type: string, field: string): ValueIndex {
  let byType = indexes.get(org);
  if (!byType) {
    byType = new Map();
    indexes.set(org, byType);
  }
  let byField = byType.get(type);
  if (!byField) {
    byField = new Map();
    byType.set(type, byField);
  }
  let index = byField.get(field);
  if (!index) {
    index = new Map();
    for (const [id, record] of Object.entries(org.records[type] ?? {})) add(index, keyOf(record[field]), id);
    byField.set(field, index);
  }
  return index;
}

/** Records of `type` whose `field` equals `value` ignoring case (deleted ones included). */
export function recordsWithValue(org: OrgState, type: string, field: string, value: FieldValue): SfRecord[] {
  const key = keyOf(value);
  if (key === null) return [];
  const ids = fieldIndex(org, type, field).get(key) ?? new Set<string>();
  const rows = org.records[type] ?? {};
  return [...ids].flatMap((id) => {
    const record = rows[id];
    return record ? [record] : [];
  });
}

/** Updates every built index of `type` after row `id` changed from `previous` to `next`. */
export function reindexRow(
  org: OrgState,
  type: string,
  id: string,
  previous: SfRecord | undefined,
  next: SfRecord | undefined,
): void {
  const byField = indexes.get(org)?.get(type);
  if (!byField) return;
  for (const [field, index] of byField) {
    const before = keyOf(previous?.[field]);
    const after = keyOf(next?.[field]);
    if (before === after) continue;
    if (before !== null) {
      const ids = index.get(before);
      ids?.delete(id);
      if (ids?.size === 0) index.delete(before);
    }
    add(index, after, id);
  }
}

/** Drops an org's indexes (after a change that bypasses row writes, like a new custom field). */
export function dropIndexes(org: OrgState): void {
  indexes.delete(org);
}
