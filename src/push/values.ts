import type { CrmConnector } from '../crm/types.ts';
import { memberLink } from '../members/codes.ts';
import type { MemberRow } from '../members/service.ts';
import type { ProgramRow } from '../programs/service.ts';
import type { ReferralRow } from '../referrals/service.ts';
import type { PushMapping } from './tables.ts';

/** What one push reads from: the referral (absent for a member push), its member, its program. */
export interface PushSubject {
  id: string;
  referral: ReferralRow | undefined;
  member: MemberRow | undefined;
  program: ProgramRow;
}

const fullName = (first: string | null | undefined, last: string | null | undefined) =>
  [first, last].filter((part) => part).join(' ') || null;

function readSource(from: string, subject: PushSubject, publicUrl: string): unknown {
  const { referral, member, program } = subject;
  const custom = /^(referral|member)\.custom\.(.+)$/.exec(from);
  if (custom) {
    const owner = custom[1] === 'referral' ? referral : member;
    return owner?.customFields[custom[2] ?? ''];
  }
  switch (from) {
    case 'referral.id':
      return referral?.id;
    case 'referral.firstName':
      return referral?.firstName;
    case 'referral.lastName':
      return referral?.lastName;
    case 'referral.fullName':
      return fullName(referral?.firstName, referral?.lastName);
    case 'referral.email':
      return referral?.email;
    case 'referral.company':
      return referral?.company;
    case 'referral.phone':
      return referral?.phone;
    case 'referral.source':
      return referral?.source;
    case 'referral.sourceNote':
      return referral?.sourceNote;
    case 'referral.externalId':
      return referral?.externalId;
    case 'referral.milestone':
      return referral?.milestone;
    case 'referral.url':
      return referral ? `${publicUrl}/referrals/${referral.id}` : undefined;
    case 'member.id':
      return member?.id;
    case 'member.firstName':
      return member?.firstName;
    case 'member.lastName':
      return member?.lastName;
    case 'member.fullName':
      return fullName(member?.firstName, member?.lastName);
    case 'member.email':
      return member?.email;
    case 'member.phone':
      return member?.phone;
    case 'member.externalId':
      return member?.externalId;
    case 'member.referralCode':
      return member?.referralCode;
    case 'member.referralLink':
      return member ? memberLink(member, program, publicUrl) : undefined;
    case 'member.url':
      return member ? `${publicUrl}/members/${member.id}` : undefined;
    default:
      return undefined;
  }
}

/** The CRM field values of one subject. Empty sources fall back to the mapping's fixed value, else are left out. */
export function crmValues(
  mappings: PushMapping[],
  subject: PushSubject,
  publicUrl: string,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const mapping of mappings) {
    const read = mapping.from === undefined ? undefined : readSource(mapping.from, subject, publicUrl);
    const value = read === undefined || read === null || read === '' ? mapping.value : read;
    if (value !== undefined && value !== null && value !== '') values[mapping.crmField] = value;
  }
  return values;
}

/** Standard mappings the user did not override, the system fields, then the user's own. */
export function effectiveMappings(
  connector: CrmConnector,
  settings: {
    crmObject: string;
    subject: 'referral' | 'member';
    mappings: PushMapping[];
    systemFields: Record<string, string>;
  },
): PushMapping[] {
  const overridden = new Set(settings.mappings.map((mapping) => mapping.crmField.toLowerCase()));
  const standard = connector
    .standardMappings(settings.crmObject)
    .map((mapping) =>
      settings.subject === 'member'
        ? { ...mapping, from: mapping.from.replace(/^referral\./, 'member.') }
        : mapping,
    )
    .filter((mapping) => !overridden.has(mapping.crmField.toLowerCase()))
    .filter((mapping) => settings.subject === 'referral' || mapping.from !== 'member.company');
  const systemSources: Record<string, string> = {
    referralId: 'referral.id',
    source: 'referral.source',
    sourceNote: 'referral.sourceNote',
    referralUrl: 'referral.url',
    memberUrl: 'member.url',
  };
  const system = Object.entries(settings.systemFields).flatMap(([key, crmField]) => {
    const from = systemSources[key];
    if (!from || !crmField || overridden.has(crmField.toLowerCase())) return [];
    if (settings.subject === 'member' && from.startsWith('referral.')) return [];
    return [{ crmField, from }];
  });
  return [...standard, ...system, ...settings.mappings];
}

/** The CRM field holding the subject's email (for matching existing records). */
export function emailField(mappings: PushMapping[], subject: 'referral' | 'member'): string | undefined {
  return mappings.find((mapping) => mapping.from === `${subject}.email`)?.crmField;
}
