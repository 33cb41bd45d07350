/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` (and the query string of
 * GETs) with bracket notation for nesting, `metadata[plan]=pro`, `expand[0]=customer`.
 */
export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

export class FormDecodeError extends Error {
  constructor(readonly param: string) {
    super(`Invalid hash: ${param} is given both as a value and as a nested object.`);
  }
}

/** Own-key set that never triggers the `__proto__` setter. */
function put(target: FormObject, key: string, value: FormValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function splitKey(raw: string): string[] {
  const open = raw.indexOf('[');
  if (open <= 0 || !raw.endsWith(']')) return [raw];
  const segments = [raw.slice(0, open)];
  for (const match of raw.slice(open).matchAll(/\[([^\]]*)\]/g)) segments.push(match[1] ?? '');
  return segments;
}

function isObject(value: FormValue | undefined): value is FormObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object whose keys are all array indices becomes an array in index order. */
function arraysOf(value: FormValue): FormValue {
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const key of keys) put(converted, key, arraysOf(value[key] as FormValue));
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((index) => converted[String(index)] as FormValue);
  }
  return converted;
}

export function decodeForm(text: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const segments = splitKey(rawKey);
    let node = root;
    segments.forEach((segment, index) => {
      const isLast = index === segments.length - 1;
      const key = segment === '' ? String(Object.keys(node).length) : segment;
      const existing = Object.hasOwn(node, key) ? node[key] : undefined;
      if (isLast) {
        if (isObject(existing)) throw new FormDecodeError(segments.slice(0, index + 1).join('.'));
        put(node, key, value);
        return;
      }
      if (existing === undefined) {
        const child: FormObject = {};
        put(node, key, child);
        node = child;
      } else if (isObject(existing)) {
        node = existing;
      } else {
        throw new FormDecodeError(segments.slice(0, index + 1).join('.'));
      }
    });
  }
  return arraysOf(root) as FormObject;
}

/** Canonical text of decoded params (sorted keys), to tell "same parameters" apart. */
export function fingerprint(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(fingerprint).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${fingerprint(value[key] as FormValue)}`).join(',')}}`;
}
