import { parseDate, parseDateTime, sfDate, sfDateTime } from './datetime.ts';
import { SfError, sfErrors } from './errors.ts';
import { looksLikeId, prefixOf, to18 } from './ids.ts';
import { type FieldDef, type ObjectDef, standardObject } from './schema.ts';
import type { FieldValue, OrgState } from './state.ts';

/** An object as one org sees it: the standard definition plus the org's `__c` fields. */
export function objectOf(org: OrgState, type: string): ObjectDef | undefined {
  const base = standardObject(type);
  if (!base) return undefined;
  const custom = org.customFields[base.name] ?? [];
  return custom.length === 0 ? base : { ...base, fields: [...base.fields, ...custom] };
}

export function requireObject(org: OrgState, type: string): ObjectDef {
  const def = objectOf(org, type);
  if (!def) throw sfErrors.notFound();
  return def;
}

/** Field names are case-insensitive in Salesforce; this returns the canonical definition. */
export function findField(def: ObjectDef, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return def.fields.find((f) => f.name.toLowerCase() === lower);
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function deserializeError(type: string, value: unknown): SfError {
  return sfErrors.jsonParser(
    `Cannot deserialize instance of ${type} from VALUE_STRING value ${String(value)} or request may be missing a required field`,
  );
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw deserializeError('string', value);
}

/**
 * Turns a JSON value from a request into the stored form for `field`, throwing the error
 * Salesforce answers for a value of the wrong shape. Reference checks need the org.
 */
export function coerceValue(org: OrgState, field: FieldDef, value: unknown): FieldValue {
  if (value === null || value === undefined || value === '') {
    return field.type === 'boolean' ? false : null;
  }
  switch (field.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw deserializeError('boolean', value);
    case 'int': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      if (!Number.isInteger(n)) throw deserializeError('int', value);
      return n;
    }
    case 'double':
    case 'currency':
    case 'percent': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      if (!Number.isFinite(n)) throw deserializeError('double', value);
      return n;
    }
    case 'date': {
      const text = asText(value);
      const ms = text.length > 10 ? parseDateTime(text) : parseDate(text);
      if (Number.isNaN(ms)) throw deserializeError('date', value);
      return sfDate(ms);
    }
    case 'datetime': {
      const text = asText(value);
      const ms = text.length === 10 ? parseDate(text) : parseDateTime(text);
      if (Number.isNaN(ms)) throw deserializeError('datetime', value);
      return sfDateTime(ms);
    }
    case 'reference':
    case 'id':
      return coerceReference(org, field, asText(value));
    default: {
      const text = asText(value);
      if (field.length !== undefined && text.length > field.length) {
        throw new SfError(
          400,
          'STRING_TOO_LONG',
          `${field.label}: data value too large: ${text} (max length=${field.length})`,
          [field.name],
        );
      }
      if (field.type === 'email' && !EMAIL_PATTERN.test(text)) {
        throw new SfError(400, 'INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${text}`, [
          field.name,
        ]);
      }
      if (field.type === 'picklist' && field.restricted && field.picklistValues) {
        const match = field.picklistValues.find((p) => p.value === text);
        if (!match) {
          throw new SfError(
            400,
            'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            `${field.label}: bad value for restricted picklist field: ${text}`,
            [field.name],
          );
        }
      }
      return text;
    }
  }
}

function coerceReference(org: OrgState, field: FieldDef, text: string): string {
  if (!looksLikeId(text)) {
    throw new SfError(400, 'MALFORMED_ID', `${field.label}: id value of incorrect type: ${text}`, [
      field.name,
    ]);
  }
  const id = to18(text);
  const targets = field.referenceTo ?? [];
  const target = targets.find((t) => standardObject(t)?.keyPrefix === prefixOf(id));
  if (!target) {
    throw new SfError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      `${field.label}: id value of incorrect type: ${text}`,
      [field.name],
    );
  }
  const record = org.records[target]?.[id];
  if (!record || record.IsDeleted === true) {
    throw new SfError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [field.name]);
  }
  return id;
}
