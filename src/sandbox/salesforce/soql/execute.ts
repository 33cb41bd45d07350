import { parseDate, parseDateTime } from '../datetime.ts';
import { SfError, sfErrors } from '../errors.ts';
import { findField, objectOf } from '../fields.ts';
import { looksLikeId, to18 } from '../ids.ts';
import { CHILD_RELATIONSHIPS, type FieldDef, type ObjectDef } from '../schema.ts';
import type { FieldValue, OrgState, SfRecord } from '../state.ts';
import type { Condition, FieldRef, Literal, SoqlQuery } from './ast.ts';
import { parseSoql } from './parser.ts';

/** A field path resolved against the schema: the lookups to follow, then the final field. */
interface ResolvedPath {
  hops: { field: FieldDef; relationshipName: string; object: ObjectDef }[];
  field: FieldDef;
  object: ObjectDef;
}

export interface QueryOutput {
  totalSize: number;
  records: Record<string, unknown>[];
}

function invalidField(soql: string, ref: FieldRef, object: string): SfError {
  const name = ref.path.join('.');
  return new SfError(
    400,
    'INVALID_FIELD',
    `\n${soql}\n${' '.repeat(Math.max(0, ref.column - 1))}^\nERROR at Row:1:Column:${ref.column}\nNo such column '${name}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

function resolve(org: OrgState, soql: string, root: ObjectDef, ref: FieldRef): ResolvedPath {
  const hops: ResolvedPath['hops'] = [];
  let object = root;
  const path = [...ref.path];
  // `SELECT Lead.Email FROM Lead` is legal: a leading object name is dropped.
  if (path.length > 1 && path[0]?.toLowerCase() === root.name.toLowerCase()) path.shift();
  for (let i = 0; i < path.length - 1; i++) {
    const segment = (path[i] ?? '').toLowerCase();
    const lookup = object.fields.find((f) => f.relationshipName?.toLowerCase() === segment);
    const target = lookup?.referenceTo?.[0];
    const targetDef = target ? objectOf(org, target) : undefined;
    if (!lookup || !targetDef || !lookup.relationshipName) throw invalidField(soql, ref, object.name);
    hops.push({ field: lookup, relationshipName: lookup.relationshipName, object: targetDef });
    object = targetDef;
  }
  const field = findField(object, path[path.length - 1] ?? '');
  if (!field) throw invalidField(soql, ref, object.name);
  return { hops, field, object };
}

function valueAt(org: OrgState, record: SfRecord, path: ResolvedPath): FieldValue {
  let current: SfRecord | undefined = record;
  for (const hop of path.hops) {
    const id: FieldValue | undefined = current?.[hop.field.name];
    current = typeof id === 'string' ? org.records[hop.object.name]?.[id] : undefined;
    if (!current) return null;
  }
  return current[path.field.name] ?? null;
}

const NUMERIC = new Set(['double', 'currency', 'percent', 'int']);

function filterTypeError(field: FieldDef, expected: string): SfError {
  return new SfError(
    400,
    'INVALID_QUERY_FILTER_OPERATOR',
    `value of filter criterion for field '${field.name}' must be of type ${expected} and should not be enclosed in quotes`,
  );
}

/** The comparable form of a stored value; strings fold case, as SOQL comparisons do. */
function comparable(field: FieldDef, value: FieldValue): number | string | boolean | null {
  if (value === null) return null;
  if (field.type === 'datetime' && typeof value === 'string') return parseDateTime(value);
  if (field.type === 'date' && typeof value === 'string') return parseDate(value);
  if (typeof value === 'string' && field.type !== 'id' && field.type !== 'reference')
    return value.toLowerCase();
  return value;
}

/**
 * The form a filter compares: `comparable`, and datetimes to the whole second. Salesforce
 * ignores milliseconds when it compares datetimes in a WHERE clause (`SystemModstamp > 12:00:05Z`
 * leaves out 12:00:05.700), which paging by `SystemModstamp` relies on; sorting still sees them.
 */
function filterable(field: FieldDef, value: FieldValue): number | string | boolean | null {
  const compared = comparable(field, value);
  return field.type === 'datetime' && typeof compared === 'number' ? wholeSecond(compared) : compared;
}

const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

function filterLiteral(field: FieldDef, literal: Literal): number | string | boolean | null {
  const value = literalValue(field, literal);
  return field.type === 'datetime' && typeof value === 'number' ? wholeSecond(value) : value;
}

function literalValue(field: FieldDef, literal: Literal): number | string | boolean | null {
  switch (literal.kind) {
    case 'null':
      return null;
    case 'boolean':
      if (field.type !== 'boolean') throw filterTypeError(field, field.type);
      return literal.value;
    case 'number':
      if (!NUMERIC.has(field.type)) throw filterTypeError(field, field.type);
      return literal.value;
    case 'datetime':
    case 'date':
      if (field.type !== 'datetime' && field.type !== 'date') throw filterTypeError(field, field.type);
      return literal.ms;
    case 'range':
      if (field.type !== 'datetime' && field.type !== 'date') throw filterTypeError(field, field.type);
      return literal.start;
    case 'string':
      if (field.type === 'boolean' || NUMERIC.has(field.type)) throw filterTypeError(field, field.type);
      if (field.type === 'datetime') throw filterTypeError(field, 'dateTime');
      if (field.type === 'date') throw filterTypeError(field, 'date');
      if (field.type === 'id' || field.type === 'reference') {
        return looksLikeId(literal.value) ? to18(literal.value) : literal.value;
      }
      return literal.value.toLowerCase();
  }
}

function likeMatches(value: string, pattern: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    // `\%`, `\_` and `\\` (an escaped backslash) match the character itself.
    if (c === '\\' && ['%', '_', '\\'].includes(pattern.charAt(i + 1))) {
      regex += `\\${pattern.charAt(i + 1)}`;
      i += 1;
    } else if (c === '%') regex += '[\\s\\S]*';
    else if (c === '_') regex += '[\\s\\S]';
    else regex += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`, 'i').test(value);
}

type Compiled = (record: SfRecord) => boolean;

function compare(
  op: string,
  left: number | string | boolean | null,
  right: number | string | boolean | null,
): boolean {
  if (op === '=') return left === right;
  if (op === '!=') return left !== right;
  if (left === null || right === null) return false;
  switch (op) {
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    case '>=':
      return left >= right;
    default:
      return false;
  }
}

function compile(org: OrgState, soql: string, root: ObjectDef, condition: Condition): Compiled {
  switch (condition.kind) {
    case 'and': {
      const parts = condition.items.map((c) => compile(org, soql, root, c));
      return (r) => parts.every((p) => p(r));
    }
    case 'or': {
      const parts = condition.items.map((c) => compile(org, soql, root, c));
      return (r) => parts.some((p) => p(r));
    }
    case 'not': {
      const inner = compile(org, soql, root, condition.item);
      return (r) => !inner(r);
    }
    case 'in': {
      const path = resolve(org, soql, root, condition.field);
      // A Set answers as `===` does, in one lookup however long the list.
      const wanted = new Set(condition.values.map((v) => filterLiteral(path.field, v)));
      return (r) => {
        const value = filterable(path.field, valueAt(org, r, path));
        const found = wanted.has(value);
        return condition.negate ? !found : found;
      };
    }
    case 'compare': {
      const path = resolve(org, soql, root, condition.field);
      const { op, value: literal } = condition;
      if (op === 'like') {
        if (literal.kind !== 'string') throw filterTypeError(path.field, 'string');
        return (r) => {
          const value = valueAt(org, r, path);
          return typeof value === 'string' && likeMatches(value, literal.pattern ?? literal.value);
        };
      }
      if (literal.kind === 'range') {
        literalValue(path.field, literal);
        return (r) => {
          const value = comparable(path.field, valueAt(org, r, path));
          if (typeof value !== 'number') return op === '!=';
          const inside = value >= literal.start && value < literal.end;
          switch (op) {
            case '=':
              return inside;
            case '!=':
              return !inside;
            case '<':
              return value < literal.start;
            case '<=':
              return value < literal.end;
            case '>':
              return value >= literal.end;
            case '>=':
              return value >= literal.start;
            default:
              return false;
          }
        };
      }
      const right = filterLiteral(path.field, literal);
      return (r) => compare(op, filterable(path.field, valueAt(org, r, path)), right);
    }
  }
}

function recordUrl(version: string, type: string, id: FieldValue): string {
  return `/services/data/v${version}/sobjects/${type}/${String(id)}`;
}

/** Writes `value` at a path of nested parent objects, each with its own `attributes`. */
function project(
  org: OrgState,
  version: string,
  record: SfRecord,
  path: ResolvedPath,
  out: Record<string, unknown>,
): void {
  let target = out;
  let current: SfRecord | undefined = record;
  for (const hop of path.hops) {
    const id: FieldValue | undefined = current?.[hop.field.name];
    current = typeof id === 'string' ? org.records[hop.object.name]?.[id] : undefined;
    if (!current) {
      if (!(hop.relationshipName in target)) target[hop.relationshipName] = null;
      return;
    }
    const existing = target[hop.relationshipName];
    const nested: Record<string, unknown> =
      typeof existing === 'object' && existing !== null
        ? (existing as Record<string, unknown>)
        : {
            attributes: {
              type: hop.object.name,
              url: recordUrl(version, hop.object.name, current.Id ?? null),
            },
          };
    target[hop.relationshipName] = nested;
    target = nested;
  }
  target[path.field.name] = current[path.field.name] ?? null;
}

interface RunOptions {
  version: string;
  includeDeleted: boolean;
  now: number;
}

/** Filters, sorts and pages `rows` of `def`, then renders the selected fields and subqueries. */
function select(
  org: OrgState,
  soql: string,
  def: ObjectDef,
  query: SoqlQuery,
  rows: SfRecord[],
  options: RunOptions,
): QueryOutput {
  const selected = query.fields.map((ref) => resolve(org, soql, def, ref));
  const children = query.subqueries.map((sub) => {
    const relationship = CHILD_RELATIONSHIPS.find(
      (c) => c.parent === def.name && c.relationshipName.toLowerCase() === sub.object.toLowerCase(),
    );
    const childDef = relationship ? objectOf(org, relationship.child) : undefined;
    if (!relationship || !childDef) {
      throw new SfError(
        400,
        'INVALID_TYPE',
        `\n${soql}\n${' '.repeat(Math.max(0, sub.objectColumn - 1))}^\nERROR at Row:1:Column:${sub.objectColumn}\nDidn't understand relationship '${sub.object}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    // Resolve every field now, so an unknown one fails even when no parent row matches.
    select(org, soql, childDef, sub, [], options);
    return { sub, relationship, childDef };
  });
  const predicate = query.where ? compile(org, soql, def, query.where) : () => true;
  const order = query.orderBy.map((item) => ({ item, path: resolve(org, soql, def, item.field) }));

  let matched = rows.filter((r) => (options.includeDeleted || r.IsDeleted !== true) && predicate(r));
  if (order.length > 0) {
    matched = matched.sort((a, b) => {
      for (const { item, path } of order) {
        const left = comparable(path.field, valueAt(org, a, path));
        const right = comparable(path.field, valueAt(org, b, path));
        if (left === right) continue;
        if (left === null) return item.nullsLast ? 1 : -1;
        if (right === null) return item.nullsLast ? -1 : 1;
        const cmp = left < right ? -1 : 1;
        return item.descending ? -cmp : cmp;
      }
      return 0;
    });
  }
  const start = query.offset ?? 0;
  matched = matched.slice(start, query.limit === null ? undefined : start + query.limit);
  if (query.countOnly) return { totalSize: matched.length, records: [] };
  const records = matched.map((row) => {
    const out: Record<string, unknown> = {
      attributes: { type: def.name, url: recordUrl(options.version, def.name, row.Id ?? null) },
    };
    for (const path of selected) project(org, options.version, row, path, out);
    for (const { sub, relationship, childDef } of children) {
      const related = Object.values(org.records[childDef.name] ?? {}).filter(
        (c) => c[relationship.field] === row.Id,
      );
      const result = select(org, soql, childDef, sub, related, { ...options, includeDeleted: false });
      // Salesforce renders an empty child relationship as null, not as an empty result.
      out[relationship.relationshipName] =
        result.records.length === 0
          ? null
          : { totalSize: result.totalSize, done: true, records: result.records };
    }
    return out;
  });
  return { totalSize: records.length, records };
}

/** An object served from rows built on the fly (the Tooling API's CustomField). */
export interface VirtualObject {
  def: ObjectDef;
  rows: SfRecord[];
}

/**
 * The only rows a query can match when its filter names records by `Id` (`Id = …`, `Id IN
 * (…)`, alone or as a term of a top-level AND): looked up, not scanned, as Salesforce
 * answers such queries from its index. The full filter still runs over them. In creation
 * order (IDs are sequential), as a scan gives them. Undefined when there is no such term.
 */
function rowsById(
  org: OrgState,
  soql: string,
  root: ObjectDef,
  where: Condition | null,
): SfRecord[] | undefined {
  const terms = where?.kind === 'and' ? where.items : where ? [where] : [];
  for (const term of terms) {
    const literals =
      term.kind === 'in' && !term.negate
        ? term.values
        : term.kind === 'compare' && term.op === '='
          ? [term.value]
          : undefined;
    // Other literals go through the scan, which answers them with Salesforce's error.
    if (term.kind !== 'in' && term.kind !== 'compare') continue;
    if (!literals?.every((literal) => literal.kind === 'string')) continue;
    const path = resolve(org, soql, root, term.field);
    if (path.hops.length > 0 || path.field.name !== 'Id') continue;
    const table = org.records[root.name] ?? {};
    const rows: SfRecord[] = [];
    for (const id of new Set(literals.map((literal) => literalValue(path.field, literal)))) {
      const row = typeof id === 'string' ? table[id] : undefined;
      if (row) rows.push(row);
    }
    const idOf = (row: SfRecord) => String(row.Id);
    return rows.sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  }
  return undefined;
}

export function runQuery(
  org: OrgState,
  soql: string,
  options: RunOptions,
  virtual: VirtualObject[] = [],
): QueryOutput {
  const query: SoqlQuery = parseSoql(soql, options.now);
  const extra = virtual.find((v) => v.def.name.toLowerCase() === query.object.toLowerCase());
  if (virtual.length > 0 && !extra) throw sfErrors.invalidTypeInQuery(query.object);
  if (extra) return select(org, soql, extra.def, query, extra.rows, options);
  const root = objectOf(org, query.object);
  if (!root) throw sfErrors.invalidTypeInQuery(query.object);
  const rows = rowsById(org, soql, root, query.where) ?? Object.values(org.records[root.name] ?? {});
  return select(org, soql, root, query, rows, options);
}
