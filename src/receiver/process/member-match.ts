import type { MemberKey, MemberRow } from '../../members/service.ts';
import type { ReceiverSettingsRow } from '../settings/service.ts';
import { asText } from './objects.ts';
import type { DecideReads } from './reads.ts';
import { type EntryRecords, lookup } from './records.ts';

type MemberMatchOn = 'referralCode' | 'memberEmail' | 'memberExternalId' | 'memberId';

interface MemberRule {
  /** How the value reads in a failure reason. */
  label: string;
  key: MemberKey;
}

/** Every way to find a member; a missing one is a compile error. */
const MEMBER_RULES: Record<MemberMatchOn, MemberRule> = {
  referralCode: { label: 'referral code', key: 'referralCode' },
  memberEmail: { label: 'member email', key: 'email' },
  memberExternalId: { label: 'member external ID', key: 'externalId' },
  memberId: { label: 'member ID', key: 'id' },
};

export type MemberMatch =
  | { found: true; member: MemberRow; method: `member_${MemberMatchOn}` }
  /** `tried` lists what was looked for, e.g. "referral code ABC123 matches no member". */
  | { found: false; tried: string[] };

/** The member of the program named by the first member match rule whose value finds one. */
export async function memberMatch(
  reads: DecideReads,
  settings: ReceiverSettingsRow,
  records: EntryRecords,
): Promise<MemberMatch> {
  const tried: string[] = [];
  for (const rule of settings.memberMatch) {
    const value = asText(lookup(records, rule.object, rule.field))?.trim();
    if (!value) continue;
    const matchOn = rule.matchOn as MemberMatchOn;
    const how = MEMBER_RULES[matchOn];
    if (!how) continue;
    const member = await reads.findMember(settings.programId, how.key, value);
    if (member) return { found: true, member, method: `member_${matchOn}` };
    tried.push(`${how.label} ${value} matches no member`);
  }
  return { found: false, tried };
}
