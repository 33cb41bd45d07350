import type { Field } from 'jsforce';
import { CrmError } from '../errors.ts';
import type { CrmField, CrmFieldOption, CrmSession, NewField } from '../types.ts';
import { openConnection, salesforceCall } from './connection.ts';
import type { ResolvedOptions } from './options.ts';
import { CUSTOM_FIELD_METADATA, FIELD_TYPES } from './provider.ts';
import { writeOutcome } from './save-results.ts';
import { soqlName } from './soql.ts';

/**
 * Required means "a create fails without it": booleans always have a value, and fields the
 * org fills itself (defaults, OwnerId) need nothing from refsync.
 */
export function crmField(field: Field): CrmField {
  return {
    name: field.name,
    label: field.label,
    type: FIELD_TYPES[field.type] ?? 'other',
    required: field.createable && !field.nillable && !field.defaultedOnCreate && field.type !== 'boolean',
    createable: field.createable,
    updateable: field.updateable,
    custom: field.custom,
    // A multi-select value joins several entries, so only single picklists are listed.
    ...(field.type === 'picklist' && field.picklistValues && field.picklistValues.length > 0
      ? { options: picklistOptions(field.picklistValues) }
      : {}),
  };
}

/** The values a record may take now: an inactive value stays on old records but cannot be picked. */
function picklistOptions(entries: unknown[]): CrmFieldOption[] {
  return entries.flatMap((entry) => {
    const { value, label, active } = (typeof entry === 'object' && entry !== null ? entry : {}) as {
      value?: unknown;
      label?: unknown;
      active?: unknown;
    };
    if (typeof value !== 'string' || active === false) return [];
    return [{ value, label: typeof label === 'string' && label !== '' ? label : value }];
  });
}

export async function describe(
  session: CrmSession,
  object: string,
  options: ResolvedOptions,
): Promise<CrmField[]> {
  const conn = openConnection(session, options);
  const result = await salesforceCall(options, () => conn.describe(soqlName(object)));
  return result.fields.map(crmField);
}

function customName(name: string): string {
  return name.endsWith('__c') ? name : `${name}__c`;
}

/**
 * Adds a custom field through the Tooling API, as a connected app does on a real org.
 * A field that already exists with that name counts as done, so the action can be retried
 * after an answer was lost; the caller's describe shows its actual type.
 */
export async function createField(
  session: CrmSession,
  object: string,
  field: NewField,
  options: ResolvedOptions,
): Promise<void> {
  const conn = openConnection(session, options);
  const fullName = `${soqlName(object)}.${soqlName(customName(field.name))}`;
  try {
    const result = await salesforceCall(options, () =>
      conn.tooling.create('CustomField', {
        FullName: fullName,
        Metadata: { ...CUSTOM_FIELD_METADATA[field.type], label: field.label },
      }),
    );
    const outcome = writeOutcome(result);
    if (!outcome.ok) throw outcome.error;
  } catch (error) {
    if (error instanceof CrmError && error.crmCode === 'DUPLICATE_DEVELOPER_NAME') return;
    throw error;
  }
}
