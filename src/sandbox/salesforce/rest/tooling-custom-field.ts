import type { ObjectDef } from '../schema.ts';
import { sys as systemField } from '../standard-objects.ts';
import type { OrgState, SfRecord } from '../state.ts';

const sys = (name: string, label: string, type: 'id' | 'string' | 'int' | 'boolean' | 'datetime') =>
  systemField(
    name,
    label,
    type,
    type === 'id' ? { idLookup: true, length: 18 } : type === 'string' ? { length: 255 } : {},
  );

/** The Tooling API's CustomField object, as far as queries and reads need it. */
export const CUSTOM_FIELD_OBJECT: ObjectDef = {
  name: 'CustomField',
  label: 'Custom Field',
  labelPlural: 'Custom Fields',
  keyPrefix: '00N',
  writable: false,
  fields: [
    sys('Id', 'Custom Field Definition ID', 'id'),
    sys('DeveloperName', 'Field Name', 'string'),
    sys('TableEnumOrId', 'Table Enum or ID', 'string'),
    sys('FullName', 'Full Name', 'string'),
    sys('Length', 'Length', 'int'),
    sys('NamespacePrefix', 'Namespace Prefix', 'string'),
    sys('ManageableState', 'Manageable State', 'string'),
  ],
};

/** One row per custom field of the org, in the shape Tooling API queries return. */
export function customFieldRows(org: OrgState): SfRecord[] {
  return Object.entries(org.customFields).flatMap(([object, fields]) =>
    fields.map((field) => ({
      Id: field.toolingId,
      DeveloperName: field.name.replace(/__c$/, ''),
      TableEnumOrId: object,
      FullName: `${object}.${field.name}`,
      Length: field.length ?? null,
      NamespacePrefix: null,
      ManageableState: 'unmanaged',
    })),
  );
}
