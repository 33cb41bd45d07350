import type { CustomFieldDefinition } from '../programs/tables.ts';

/** The kind of value a mapping source yields, to check it against the CRM field's type. */
export type SourceType = CustomFieldDefinition['type'];

const referralSources: Record<string, SourceType> = {
  'referral.id': 'text',
  'referral.firstName': 'text',
  'referral.lastName': 'text',
  'referral.fullName': 'text',
  'referral.email': 'email',
  'referral.company': 'text',
  'referral.phone': 'text',
  'referral.source': 'text',
  'referral.sourceNote': 'text',
  'referral.externalId': 'text',
  'referral.milestone': 'text',
  'referral.url': 'url',
};

const memberSources: Record<string, SourceType> = {
  'member.id': 'text',
  'member.firstName': 'text',
  'member.lastName': 'text',
  'member.fullName': 'text',
  'member.email': 'email',
  'member.phone': 'text',
  'member.externalId': 'text',
  'member.referralCode': 'text',
  'member.referralLink': 'url',
  'member.url': 'url',
};

/**
 * Where a mapped value comes from: a referral's or member's standard field, or one of the
 * program's custom fields (`referral.custom.seats`). A member push has no referral.
 */
export function sourceType(
  from: string,
  subject: 'referral' | 'member',
  definitions: { referral: CustomFieldDefinition[]; member: CustomFieldDefinition[] },
): SourceType | undefined {
  const custom = /^(referral|member)\.custom\.(.+)$/.exec(from);
  if (custom) {
    const [, owner, key] = custom;
    if (subject === 'member' && owner === 'referral') return undefined;
    const list = owner === 'referral' ? definitions.referral : definitions.member;
    return list.find((definition) => definition.key === key)?.type;
  }
  if (from in memberSources) return memberSources[from];
  if (subject === 'referral' && from in referralSources) return referralSources[from];
  return undefined;
}

export const knownSources = [...Object.keys(referralSources), ...Object.keys(memberSources)];
