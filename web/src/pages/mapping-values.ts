import { knownSources } from '../../../src/push/sources.ts';
import type { CrmFieldView } from '../crm-types.ts';
import type { CustomField } from '../types.ts';

/** Push mappings between the editor's rows (text values) and the API's (typed values). */

/** One mapping as the editor holds it: the value stays text until it is sent. */
export interface MappingRow {
  crmField: string;
  mode: 'source' | 'fixed';
  from: string;
  value: string;
}

export interface ApiMapping {
  crmField: string;
  from?: string | undefined;
  value?: string | number | boolean | undefined;
}

export function toRows(mappings: ApiMapping[]): MappingRow[] {
  return mappings.map((mapping) => ({
    crmField: mapping.crmField,
    mode: mapping.from === undefined ? 'fixed' : 'source',
    from: mapping.from ?? '',
    value: mapping.value === undefined ? '' : String(mapping.value),
  }));
}

/** A typed value as the CRM field takes it: numbers for number fields, true/false for checkboxes. */
function typed(value: string, field: CrmFieldView | undefined): string | number | boolean {
  if (field?.type === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (field?.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

export function toApi(rows: MappingRow[], fields: CrmFieldView[]): ApiMapping[] {
  return rows.map((row) => {
    const field = fields.find((one) => one.name === row.crmField);
    if (row.mode === 'fixed') return { crmField: row.crmField, value: typed(row.value, field) };
    return {
      crmField: row.crmField,
      from: row.from,
      ...(row.value === '' ? {} : { value: typed(row.value, field) }),
    };
  });
}

/**
 * The sources a mapping may take, grouped: `First name (referral.firstName)` under Referral,
 * `Seats (referral.custom.seats, number)` under the referral's custom fields.
 */
export function sourceChoices(
  subject: 'referral' | 'member',
  referralFields: CustomField[],
  memberFields: CustomField[],
) {
  const words = (key: string) => {
    const spaced = key.replace(/([A-Z])/g, ' $1').toLowerCase();
    return spaced.charAt(0).toUpperCase() + spaced.slice(1);
  };
  const standard = knownSources
    .filter((source) => subject === 'referral' || source.startsWith('member.'))
    .map((source) => {
      const [owner = '', key = ''] = source.split('.');
      return {
        value: source,
        label: `${words(key)} (${source})`,
        group: owner === 'referral' ? 'Referral' : 'Member',
      };
    });
  const custom = (owner: 'referral' | 'member', fields: CustomField[]) =>
    fields.map((field) => ({
      value: `${owner}.custom.${field.key}`,
      label: `${field.label || field.key} (${owner}.custom.${field.key}, ${field.type})`,
      group: owner === 'referral' ? "Referral's custom fields" : "Member's custom fields",
    }));
  return [
    ...standard,
    ...(subject === 'referral' ? custom('referral', referralFields) : []),
    ...custom('member', memberFields),
  ];
}
