import type { CustomFieldDefinition } from '../../programs/tables.ts';
import {
  type ReceiverSettingsRow,
  STANDARD_REFERRAL_FIELDS,
  type StandardReferralField,
} from '../settings/service.ts';
import { asText } from './objects.ts';
import { type EntryRecords, lookup } from './records.ts';
import { newReferralDetails } from './target-match.ts';

export interface NewReferral {
  memberId: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  company?: string;
  phone?: string;
}

/**
 * What processing an entry would do to one referral, decided before anything is written:
 * kept whole in `changes.held` when the entry goes to review, so approving applies exactly
 * what was shown.
 */
export interface EntryPlan {
  programId: string;
  /** The referral matched; null when one is to be added (`create`). */
  referralId: string | null;
  create: NewReferral | null;
  milestone: string | null;
  allowBackward: boolean;
  overrideDenied: boolean;
  standardFields: Partial<Record<StandardReferralField, string>>;
  customFields: Record<string, unknown>;
  feedback: string | null;
}

/** CRM values arrive as text; a custom field of another type gets the value its type needs. */
function customValue(definition: CustomFieldDefinition | undefined, value: unknown): unknown {
  if (!definition || typeof value !== 'string') return value;
  if (definition.type === 'number') {
    const number = Number(value.trim());
    return value.trim() !== '' && Number.isFinite(number) ? number : value;
  }
  if (definition.type === 'boolean') {
    if (/^(true|1|yes)$/i.test(value.trim())) return true;
    if (/^(false|0|no)$/i.test(value.trim())) return false;
  }
  return value;
}

/** The referral fields the entry sets: field updates, then the CRM's contact details when asked. */
export function fieldChanges(
  settings: ReceiverSettingsRow,
  records: EntryRecords,
  definitions: CustomFieldDefinition[],
): Pick<EntryPlan, 'standardFields' | 'customFields'> {
  const standardFields: Partial<Record<StandardReferralField, string>> = {};
  const customFields: Record<string, unknown> = {};
  for (const update of settings.fieldUpdates) {
    const value = lookup(records, update.object, update.field);
    if (value === undefined || value === null || value === '') continue;
    const custom = /^referral\.custom\.(.+)$/.exec(update.target)?.[1];
    if (custom) {
      customFields[custom] = customValue(
        definitions.find((definition) => definition.key === custom),
        value,
      );
      continue;
    }
    const standard = /^referral\.([A-Za-z]+)$/.exec(update.target)?.[1];
    const text = asText(value);
    if (
      standard &&
      text !== undefined &&
      (STANDARD_REFERRAL_FIELDS as readonly string[]).includes(standard)
    ) {
      standardFields[standard as StandardReferralField] = text;
    }
  }
  if (settings.updateContactDetails) {
    const details = newReferralDetails(records);
    for (const key of ['firstName', 'lastName', 'email', 'company', 'phone'] as const) {
      const value = details[key];
      if (value && standardFields[key] === undefined) standardFields[key] = value;
    }
  }
  return { standardFields, customFields };
}
