import { type FieldIssue, validationFailed } from '../core/errors.ts';
import type { CustomFieldDefinition } from './tables.ts';

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const datePattern = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

function checkValue(definition: CustomFieldDefinition, value: unknown): string | undefined {
  switch (definition.type) {
    case 'text':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'date':
      return typeof value === 'string' && datePattern.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'must be a date (YYYY-MM-DD or ISO 8601)';
    case 'email':
      return typeof value === 'string' && emailPattern.test(value) ? undefined : 'must be an email address';
    case 'url':
      return typeof value === 'string' && URL.canParse(value) ? undefined : 'must be a URL';
  }
}

/**
 * Checks custom field values against the program's definitions and returns the merged set.
 * `null` clears a value. On create (`existing` undefined) required fields must be present;
 * on update they must stay present.
 */
export function applyCustomFields(
  definitions: CustomFieldDefinition[],
  given: Record<string, unknown> | undefined,
  existing: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const byKey = new Map(definitions.map((definition) => [definition.key, definition]));
  const issues: FieldIssue[] = [];
  const merged: Record<string, unknown> = { ...(existing ?? {}) };
  for (const [key, value] of Object.entries(given ?? {})) {
    const definition = byKey.get(key);
    if (!definition) {
      issues.push({ field: `customFields.${key}`, message: 'is not a custom field of this program' });
      continue;
    }
    if (value === null) {
      delete merged[key];
      continue;
    }
    const problem = checkValue(definition, value);
    if (problem) issues.push({ field: `customFields.${key}`, message: problem });
    else merged[key] = value;
  }
  for (const definition of definitions) {
    const value = merged[definition.key];
    if (definition.required && (value === undefined || value === '')) {
      issues.push({ field: `customFields.${definition.key}`, message: 'is required' });
    }
  }
  if (issues.length > 0) throw validationFailed(issues);
  return merged;
}
