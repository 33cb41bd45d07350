import { CrmError } from '../errors.ts';

/** Characters a SOQL string literal must escape, and how. */
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\f': '\\f',
  '\b': '\\b',
};

/** A SOQL string literal, quotes included, that no value can break out of. */
export function soqlString(value: string): string {
  let escaped = '';
  for (const char of value) escaped += ESCAPES[char] ?? char;
  return `'${escaped}'`;
}

/**
 * A SOQL `LIKE` pattern matching text that contains `value`: its own `%` and `_` are escaped
 * (`\%`, `\_`) so they match themselves, and only the outer `%` are wildcards.
 */
export function soqlContains(value: string): string {
  let escaped = '';
  for (const char of value) escaped += char === '%' || char === '_' ? `\\${char}` : (ESCAPES[char] ?? char);
  return `'%${escaped}%'`;
}

/**
 * Object and field names cannot be quoted in SOQL, so they are checked instead: API names
 * (`Email`, `Refsync_Referral_Id__c`, `ns__Field__c`) and parent paths (`Account.Name`).
 */
const API_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

export function soqlName(name: string): string {
  if (!API_NAME.test(name)) {
    throw new CrmError('validation', 'INVALID_FIELD', `Not a Salesforce API name: ${JSON.stringify(name)}`);
  }
  return name;
}

/** Names once each, compared as Salesforce does (case-insensitively), first spelling kept. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Splits literals into `IN (...)` lists of at most `maxCount` values whose URL-encoded text
 * stays under `maxEncodedChars`.
 */
export function inLists(literals: readonly string[], maxCount: number, maxEncodedChars: number): string[][] {
  const lists: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const literal of literals) {
    const cost = encodeURIComponent(`${literal}, `).length;
    if (current.length > 0 && (current.length >= maxCount || size + cost > maxEncodedChars)) {
      lists.push(current);
      current = [];
      size = 0;
    }
    current.push(literal);
    size += cost;
  }
  if (current.length > 0) lists.push(current);
  return lists;
}

export function selectWhereIn(
  object: string,
  fields: readonly string[],
  field: string,
  literals: string[],
): string {
  return `SELECT ${fields.map(soqlName).join(', ')} FROM ${soqlName(object)} WHERE ${soqlName(field)} IN (${literals.join(', ')})`;
}
