import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { members } from '../../db/schema.ts';
import type { MemberRow } from '../../members/service.ts';
import type { ReceiverSettingsRow } from '../settings/service.ts';
import { asText } from './objects.ts';
import { type EntryRecords, lookup } from './records.ts';

type MemberMatchOn = 'referralCode' | 'memberEmail' | 'memberExternalId' | 'memberId';

interface MemberRule {
  /** How the value reads in a failure reason. */
  label: string;
  find(db: Db, programId: string, value: string): Promise<MemberRow | undefined>;
}

const first = async (rows: Promise<MemberRow[]>) => (await rows)[0];

/** Every way to find a member; a missing one is a compile error. */
const MEMBER_RULES: Record<MemberMatchOn, MemberRule> = {
  referralCode: {
    label: 'referral code',
    find: (db, programId, value) =>
      first(
        db
          .select()
          .from(members)
          .where(
            and(eq(members.programId, programId), sql`lower(${members.referralCode}) = lower(${value})`),
          ),
      ),
  },
  memberEmail: {
    label: 'member email',
    find: (db, programId, value) =>
      first(
        db
          .select()
          .from(members)
          .where(and(eq(members.programId, programId), sql`lower(${members.email}) = lower(${value})`)),
      ),
  },
  memberExternalId: {
    label: 'member external ID',
    find: (db, programId, value) =>
      first(
        db
          .select()
          .from(members)
          .where(and(eq(members.programId, programId), eq(members.externalId, value))),
      ),
  },
  memberId: {
    label: 'member ID',
    find: (db, programId, value) =>
      first(
        db
          .select()
          .from(members)
          .where(and(eq(members.programId, programId), eq(members.id, value))),
      ),
  },
};

export type MemberMatch =
  | { found: true; member: MemberRow; method: `member_${MemberMatchOn}` }
  /** `tried` lists what was looked for, e.g. "referral code ABC123 matches no member". */
  | { found: false; tried: string[] };

/** The member of the program named by the first member match rule whose value finds one. */
export async function memberMatch(
  db: Db,
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
    const member = await how.find(db, settings.programId, value);
    if (member) return { found: true, member, method: `member_${matchOn}` };
    tried.push(`${how.label} ${value} matches no member`);
  }
  return { found: false, tried };
}
