import type { FieldIssue } from '../core/errors.ts';
import type { CrmConnector, CrmField, CrmFieldType } from '../crm/types.ts';
import type { CustomFieldDefinition } from '../programs/tables.ts';
import { type SourceType, sourceType } from './sources.ts';
import type { PushMapping } from './tables.ts';

const textTargets: CrmFieldType[] = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'other'];

/** Which source types a CRM field type takes. */
function accepts(target: CrmFieldType, source: SourceType): boolean {
  switch (target) {
    case 'boolean':
      return source === 'boolean';
    case 'number':
      return source === 'number';
    case 'date':
    case 'datetime':
      return source === 'date';
    case 'id':
    case 'reference':
      return false;
    default:
      return textTargets.includes(target);
  }
}

function fixedValueFits(target: CrmFieldType, value: string | number | boolean): boolean {
  if (target === 'boolean') return typeof value === 'boolean';
  if (target === 'number') return typeof value === 'number';
  if (target === 'date' || target === 'datetime')
    return typeof value === 'string' && !Number.isNaN(Date.parse(value));
  return typeof value === 'string' || typeof value === 'number';
}

export interface MappingPlan {
  /** Standard, system and user mappings together: what a push writes. */
  mappings: PushMapping[];
  issues: FieldIssue[];
}

/**
 * Checks a push setting against the CRM's own field list: every target field exists and can
 * be written, every source exists and fits the field's type, and the object's required
 * fields are all mapped. Issues name the setting's field (`mappings.2.crmField`).
 */
export function planMappings(input: {
  connector: CrmConnector;
  crmObject: string;
  subject: 'referral' | 'member';
  userMappings: PushMapping[];
  systemFields: Record<string, string>;
  crmFields: CrmField[];
  definitions: { referral: CustomFieldDefinition[]; member: CustomFieldDefinition[] };
}): MappingPlan {
  const issues: FieldIssue[] = [];
  const byName = new Map(input.crmFields.map((field) => [field.name.toLowerCase(), field]));
  const check = (mapping: PushMapping, path: string) => {
    const field = byName.get(mapping.crmField.toLowerCase());
    if (!field) {
      issues.push({
        field: `${path}.crmField`,
        message: `${input.crmObject} has no field ${mapping.crmField}`,
      });
      return;
    }
    if (!field.createable) {
      issues.push({
        field: `${path}.crmField`,
        message: `${input.crmObject}.${field.name} cannot be written`,
      });
      return;
    }
    if (mapping.from !== undefined) {
      const type = sourceType(mapping.from, input.subject, input.definitions);
      if (!type) {
        issues.push({ field: `${path}.from`, message: `unknown source ${mapping.from}` });
      } else if (!accepts(field.type, type)) {
        issues.push({
          field: `${path}.from`,
          message: `${mapping.from} is ${type} but ${input.crmObject}.${field.name} is ${field.type}`,
        });
      }
    }
    if (mapping.value !== undefined && !fixedValueFits(field.type, mapping.value)) {
      issues.push({
        field: `${path}.value`,
        message: `${JSON.stringify(mapping.value)} does not fit ${input.crmObject}.${field.name} (${field.type})`,
      });
    }
  };

  const standard =
    input.subject === 'referral'
      ? input.connector.standardMappings(input.crmObject)
      : input.connector
          .standardMappings(input.crmObject)
          .map((mapping) => ({ ...mapping, from: mapping.from.replace(/^referral\./, 'member.') }))
          .filter((mapping) => sourceType(mapping.from, 'member', input.definitions) !== undefined);
  const system: PushMapping[] = [];
  const systemSources: Record<string, string> =
    input.subject === 'referral'
      ? {
          referralId: 'referral.id',
          source: 'referral.source',
          sourceNote: 'referral.sourceNote',
          referralUrl: 'referral.url',
          memberUrl: 'member.url',
        }
      : { memberUrl: 'member.url' };
  for (const [key, crmField] of Object.entries(input.systemFields)) {
    const from = systemSources[key];
    if (from) system.push({ crmField, from });
  }
  input.userMappings.forEach((mapping, index) => {
    check(mapping, `mappings.${index}`);
  });
  for (const [key, crmField] of Object.entries(input.systemFields)) {
    const from = systemSources[key];
    if (!from) continue;
    const field = byName.get(crmField.toLowerCase());
    if (!field) {
      issues.push({
        field: `systemFields.${key}`,
        message: `${input.crmObject} has no field ${crmField}; create it with POST /api/v1/connections/{id}/fields`,
      });
    } else if (!field.createable || !textTargets.includes(field.type)) {
      issues.push({
        field: `systemFields.${key}`,
        message: `${input.crmObject}.${field.name} must be a writable text field`,
      });
    }
  }

  // User mappings win over standard ones for the same CRM field.
  const overridden = new Set(input.userMappings.map((mapping) => mapping.crmField.toLowerCase()));
  const mappings = [
    ...standard.filter(
      (mapping) =>
        !overridden.has(mapping.crmField.toLowerCase()) && byName.has(mapping.crmField.toLowerCase()),
    ),
    ...system.filter((mapping) => byName.has(mapping.crmField.toLowerCase())),
    ...input.userMappings,
  ];
  const mapped = new Set(mappings.map((mapping) => mapping.crmField.toLowerCase()));
  for (const field of input.crmFields) {
    if (field.required && !mapped.has(field.name.toLowerCase())) {
      issues.push({
        field: 'mappings',
        message: `${input.crmObject} requires ${field.name}; map a field or a fixed value to it`,
      });
    }
  }
  return { mappings, issues };
}
