import { AppError, type FieldIssue } from '../core/errors.ts';
import { textProblem } from '../core/outside-input.ts';
import type { CustomFieldDefinition } from '../programs/tables.ts';
import { checkbox, type FieldSpec, field } from './html.ts';

/** The form name of a program's custom member field on the join page. */
export const customName = (key: string) => `cf_${key}`;

const inputType: Record<CustomFieldDefinition['type'], NonNullable<FieldSpec['type']>> = {
  text: 'text',
  number: 'number',
  boolean: 'text',
  date: 'date',
  email: 'email',
  url: 'url',
};

/** The program's custom member fields as form fields, each with its error beside it. */
export function customFieldsHtml(
  definitions: CustomFieldDefinition[],
  values: Record<string, string>,
  errors: Record<string, string>,
): string {
  return definitions
    .map((definition) => {
      const name = customName(definition.key);
      if (definition.type === 'boolean') return checkbox(name, definition.label, values, errors, false);
      return field(
        { name, label: definition.label, type: inputType[definition.type], required: definition.required },
        values,
        errors,
      );
    })
    .join('\n');
}

/**
 * The custom field values a join form carries, typed as the program defines them; a required
 * field left empty or a number that is none is an error beside that field. The rest (dates,
 * emails, URLs) is checked where members are created, see `customFieldErrors`.
 */
export function readCustomFields(
  definitions: CustomFieldDefinition[],
  values: Record<string, string>,
): { customFields: Record<string, unknown>; errors: Record<string, string> } {
  const customFields: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const definition of definitions) {
    const name = customName(definition.key);
    const raw = (values[name] ?? '').trim();
    if (definition.type === 'boolean') {
      customFields[definition.key] = raw === 'yes';
      continue;
    }
    if (raw === '') {
      if (definition.required) errors[name] = 'please fill this in';
      continue;
    }
    if (raw.length > 1000) {
      errors[name] = 'must be at most 1000 characters';
      continue;
    }
    if (textProblem(raw) !== undefined) {
      errors[name] = 'contains characters that cannot be stored';
      continue;
    }
    if (definition.type === 'number') {
      const number = Number(raw);
      if (Number.isFinite(number)) customFields[definition.key] = number;
      else errors[name] = 'must be a number';
      continue;
    }
    customFields[definition.key] = raw;
  }
  return { customFields, errors };
}

/** A refusal of custom field values by the members capability, as errors beside the join form's fields. */
export function customFieldErrors(error: unknown): Record<string, string> | undefined {
  if (!(error instanceof AppError) || error.code !== 'validation_failed' || !Array.isArray(error.details)) {
    return undefined;
  }
  const errors: Record<string, string> = {};
  for (const issue of error.details as FieldIssue[]) {
    const key = /^customFields\.(.+)$/.exec(issue.field)?.[1];
    if (key === undefined) return undefined;
    errors[customName(key)] ??= issue.message;
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}
