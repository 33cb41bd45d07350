import { SfError } from './errors.ts';
import { dropIndexes } from './field-index.ts';
import { objectOf } from './fields.ts';
import { KEY_PREFIXES, makeId } from './ids.ts';
import { type FieldType, type PicklistValue, standardObject } from './schema.ts';
import type { CustomFieldDef, OrgState } from './state.ts';

export interface CustomFieldSpec {
  object: string;
  /** API name; `__c` is appended when missing. */
  name: string;
  label?: string | undefined;
  type: FieldType;
  length?: number | undefined;
  precision?: number | undefined;
  scale?: number | undefined;
  externalId?: boolean | undefined;
  unique?: boolean | undefined;
  required?: boolean | undefined;
  picklistValues?: string[] | undefined;
  defaultValue?: string | number | boolean | undefined;
}

/** Types a custom field may have (lookups are left out: their relationship names would need `__r`). */
export const customFieldTypes = [
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'picklist',
  'boolean',
  'double',
  'currency',
  'percent',
  'int',
  'date',
  'datetime',
] as const satisfies readonly FieldType[];
const CUSTOM_TYPES = new Set<FieldType>(customFieldTypes);

const DEFAULT_LENGTH: Partial<Record<FieldType, number>> = {
  string: 255,
  textarea: 255,
  email: 80,
  phone: 40,
  url: 255,
  picklist: 255,
};

export function addCustomField(org: OrgState, spec: CustomFieldSpec): CustomFieldDef {
  const base = standardObject(spec.object);
  if (!base?.writable) {
    throw new SfError(400, 'INVALID_TYPE', `sObject type '${spec.object}' is not supported.`);
  }
  const name = spec.name.endsWith('__c') ? spec.name : `${spec.name}__c`;
  if (!/^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__c$/.test(name)) {
    throw new SfError(400, 'INVALID_FIELD', `Invalid field name: ${name}`, ['FullName']);
  }
  if (!CUSTOM_TYPES.has(spec.type)) {
    throw new SfError(400, 'FIELD_INTEGRITY_EXCEPTION', `Unsupported field type: ${spec.type}`, ['Metadata']);
  }
  const current = objectOf(org, base.name);
  if (current?.fields.some((f) => f.name.toLowerCase() === name.toLowerCase())) {
    throw new SfError(
      400,
      'DUPLICATE_DEVELOPER_NAME',
      `There is already a field named ${name.replace(/__c$/, '')} on ${base.name}.`,
      ['FullName'],
    );
  }
  org.sequence += 1;
  const length = spec.length ?? DEFAULT_LENGTH[spec.type];
  const picklistValues: PicklistValue[] | undefined = spec.picklistValues?.map((value) => ({
    value,
    label: value,
  }));
  const field: CustomFieldDef = {
    toolingId: makeId(KEY_PREFIXES.CustomField, org.pod, org.sequence),
    name,
    label: spec.label ?? name.replace(/__c$/, '').replace(/_/g, ' '),
    type: spec.type,
    createable: true,
    updateable: true,
    custom: true,
    ...(length !== undefined ? { length } : {}),
    ...(spec.precision !== undefined ? { precision: spec.precision } : {}),
    ...(spec.scale !== undefined ? { scale: spec.scale } : {}),
    ...(spec.externalId ? { externalId: true, idLookup: true } : {}),
    ...(spec.unique ? { unique: true } : {}),
    ...(spec.required ? { required: true } : {}),
    ...(picklistValues ? { picklistValues } : {}),
    ...(spec.defaultValue !== undefined ? { defaultValue: spec.defaultValue } : {}),
  };
  const list = org.customFields[base.name] ?? [];
  list.push(field);
  org.customFields[base.name] = list;
  // Existing rows get the field's default, so queries and reads see it right away.
  const initial = field.defaultValue ?? (field.type === 'boolean' ? false : null);
  for (const record of Object.values(org.records[base.name] ?? {})) record[name] = initial;
  dropIndexes(org);
  return field;
}

/**
 * Deletes a custom field, as an admin does in Setup (or the Tooling API's DELETE): it is gone
 * from describes, queries and records. Answers false when the object has no such field.
 */
export function removeCustomField(org: OrgState, object: string, name: string): boolean {
  const base = standardObject(object);
  if (!base) throw new SfError(400, 'INVALID_TYPE', `sObject type '${object}' is not supported.`);
  const fieldName = name.endsWith('__c') ? name : `${name}__c`;
  const list = org.customFields[base.name] ?? [];
  const field = list.find((f) => f.name.toLowerCase() === fieldName.toLowerCase());
  if (!field) return false;
  org.customFields[base.name] = list.filter((f) => f !== field);
  for (const record of Object.values(org.records[base.name] ?? {})) delete record[field.name];
  dropIndexes(org);
  return true;
}
