import type { FieldIssue } from './errors.ts';

/**
 * The one rule for data from outside (CRM hooks, API bodies, polled CRM records): what
 * PostgreSQL or JavaScript cannot hold safely is refused before anything is saved, so a bad
 * value is a clear refusal instead of a failed transaction that takes its neighbours down.
 *
 * - text: no NUL (PostgreSQL `text` and `jsonb` cannot hold it) and no lone surrogate
 *   (not Unicode; `jsonb` refuses its escape);
 * - dates: 1970-01-01 to 9999-12-31 (UTC). PostgreSQL goes further both ways, but not
 *   year 0 nor the `+010000` years JavaScript writes; no event of a CRM is older than 1970;
 * - nesting at most 32 levels and at most 10,000 keys and items in one value: deeper data
 *   makes recursive code (JSON.stringify, jsonb) overflow its stack;
 * - no `__proto__`, `constructor` or `prototype` key anywhere: such keys change objects
 *   they are merged into. Lookups by outside strings use `ownValue` (or a Map) for the same
 *   reason: `table['__proto__']` is `Object.prototype`, not undefined.
 *
 * See docs/decisions/0016-one-rule-for-outside-input.md.
 */
export const OUTSIDE_LIMITS = {
  maxDepth: 32,
  maxNodes: 10_000,
  earliest: Date.UTC(1970, 0, 1),
  latest: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
} as const;

const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NUL = String.fromCharCode(0);
const UNSTORABLE = new RegExp(`${NUL}|${LONE_SURROGATE.source}`, 'g');
/** Issues reported for one value at most: enough to fix it, never a flood. */
const MAX_ISSUES = 20;

/** What is wrong with a piece of outside text, or undefined when it can be stored. */
export function textProblem(text: string): string | undefined {
  if (text.includes(NUL)) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'contains a lone surrogate';
  return undefined;
}

/** What is wrong with an outside date (or milliseconds since 1970), or undefined. */
export function dateProblem(value: Date | number): string | undefined {
  const time = typeof value === 'number' ? value : value.getTime();
  if (Number.isFinite(time) && time >= OUTSIDE_LIMITS.earliest && time <= OUTSIDE_LIMITS.latest) {
    return undefined;
  }
  return 'is not between 1970-01-01 and 9999-12-31';
}

/**
 * NUL and lone surrogates written as `\u0000`, `\ud800`: how a raw payload that broke the
 * rule is still kept for a person to read. (A payload that already held the six characters
 * `\u0000` reads the same; it is kept for reading, never parsed back.)
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** `record[key]` for an outside key: only the record's own properties, never its prototype's. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export type Path = readonly (string | number)[];

/** One break of the rule, at a path inside the value that was checked. */
export interface OutsideIssue {
  path: Path;
  message: string;
}

/**
 * Every way an outside value (parsed JSON, XML fields, ...) breaks the rule, each at its
 * path: `path` followed by the keys and indexes down to it. Walks without recursion, so a
 * value nested 100,000 deep is refused, not a stack overflow. The value itself is level 1.
 */
export function valueIssues(value: unknown, path: Path = []): OutsideIssue[] {
  const issues: OutsideIssue[] = [];
  const add = (at: Path, message: string) => {
    issues.push({ path: at, message });
  };
  type Visit = { value: unknown; path: Path; depth: number; keyProblem?: string | undefined };
  const stack: Visit[] = [{ value, path, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const current = stack.pop();
    if (!current) break;
    if (current.keyProblem) {
      add(current.path, current.keyProblem);
      continue;
    }
    if (typeof current.value === 'string') {
      const problem = textProblem(current.value);
      if (problem) add(current.path, problem);
      continue;
    }
    if (typeof current.value !== 'object' || current.value === null) continue;
    if (current.depth >= OUTSIDE_LIMITS.maxDepth) {
      add(current.path, `is nested deeper than ${OUTSIDE_LIMITS.maxDepth} levels`);
      continue;
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(current.value)
      ? current.value.map((item, index): [number, unknown] => [index, item])
      : Object.entries(current.value);
    nodes += entries.length;
    if (nodes > OUTSIDE_LIMITS.maxNodes) {
      add(current.path, `has more than ${OUTSIDE_LIMITS.maxNodes} keys and items`);
      break;
    }
    // Reversed onto the stack, so issues come out in the order they were written.
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index] ?? [index, undefined];
      const keyProblem =
        typeof key !== 'string'
          ? undefined
          : RESERVED_KEYS.has(key)
            ? 'is a reserved name'
            : textProblem(key);
      stack.push({ value: child, path: [...current.path, key], depth: current.depth + 1, keyProblem });
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/** `fields.note`, the path as a field name can be shown and stored (bad characters escaped). */
export function fieldOf(path: Path): string {
  return path.length === 0 ? 'body' : storableText(path.map(String).join('.'));
}

export function fieldIssues(issues: readonly OutsideIssue[]): FieldIssue[] {
  return issues.map((issue) => ({ field: fieldOf(issue.path), message: issue.message }));
}

/** The issues as one sentence: `fields.note: contains a NUL character; occurredAt: ...`. */
export function describeIssues(issues: readonly OutsideIssue[]): string {
  return fieldIssues(issues)
    .map((issue) => `${issue.field}: ${issue.message}`)
    .join('; ');
}

/**
 * JSON of a value that may break the rule, for keeping as a raw payload: NUL and lone
 * surrogates come out escaped (JSON.stringify does that), and what lies deeper than the
 * nesting limit is replaced by a note, since JSON.stringify would overflow its stack on it.
 */
export function storableJson(value: unknown): string {
  const depths = new WeakMap<object, number>();
  return JSON.stringify(value, function (this: unknown, _key: string, child: unknown) {
    const parent = typeof this === 'object' && this !== null ? (depths.get(this) ?? 0) : 0;
    if (typeof child !== 'object' || child === null) return child;
    if (parent >= OUTSIDE_LIMITS.maxDepth) return `(nested deeper than ${OUTSIDE_LIMITS.maxDepth} levels)`;
    depths.set(child, parent + 1);
    return child;
  });
}
