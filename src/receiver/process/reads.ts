import type { Db } from '../../db/client.ts';
import { findMemberInProgram, type MemberKey, type MemberRow } from '../../members/service.ts';
import { getProgram, type ProgramRow } from '../../programs/service.ts';
import { subjectsByCrmId, subjectsPushedAs } from '../../push/records.ts';
import { findReferrals, type ReferralLookup, type ReferralRow } from '../../referrals/service.ts';

/**
 * What deciding an entry reads: referrals, members, records refsync pushed, programs. One
 * entry reads them straight from the database (`readsOf`); a batch reads what all its
 * entries name in one query each and answers the rest from memory (`batchReads`), so both
 * decide alike.
 */
export interface DecideReads {
  findReferrals(
    workspaceId: string,
    programId: string | null,
    lookup: ReferralLookup,
  ): Promise<ReferralRow[]>;
  subjectsPushedAs(workspaceId: string, crmIds: string[]): Promise<string[]>;
  findMember(programId: string, key: MemberKey, value: string): Promise<MemberRow | undefined>;
  program(workspaceId: string, id: string): Promise<ProgramRow>;
}

export function readsOf(db: Db): DecideReads {
  return {
    findReferrals: (workspaceId, programId, lookup) => findReferrals(db, workspaceId, programId, lookup),
    subjectsPushedAs: (workspaceId, crmIds) => subjectsPushedAs(db, workspaceId, crmIds),
    findMember: (programId, key, value) => findMemberInProgram(db, programId, key, value),
    program: (workspaceId, id) => getProgram(db, workspaceId, id),
  };
}

/** Memoizes by key: the first call reads, later ones share its answer (or its error). */
function memo<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const known = new Map<string, Promise<T>>();
  return (key) => {
    let answer = known.get(key);
    if (!answer) {
      answer = read(key);
      known.set(key, answer);
    }
    return answer;
  };
}

/** What a batch's entries may look up: referral IDs and the IDs of CRM records. */
export interface BatchKeys {
  /** Earlier matches, referral ID rules' values, referral IDs in the entries' fields. */
  referralIds: Iterable<string>;
  /** The triggered and related records' IDs (records refsync may have pushed). */
  crmIds: Iterable<string>;
}

/**
 * Reads for a batch of one workspace's entries: the records refsync pushed as any of the
 * batch's CRM records, then every referral the batch may look up by ID (those named and
 * those pushed), one query each; lookups of those answer from memory. Programs are read
 * once per batch, and every other lookup once per batch for each distinct question.
 */
export async function batchReads(db: Db, workspaceId: string, keys: BatchKeys): Promise<DecideReads> {
  const direct = readsOf(db);
  const crmIds = [...new Set(keys.crmIds)];
  const pushed = await subjectsByCrmId(db, workspaceId, crmIds);
  const wanted = [...new Set([...keys.referralIds, ...[...pushed.values()].flat()])];
  const known = new Map<string, ReferralRow>();
  if (wanted.length > 0) {
    for (const row of await findReferrals(db, workspaceId, null, { by: 'ids', ids: wanted })) {
      known.set(row.id, row);
    }
  }
  const prefetched = new Set(wanted);
  const prefetchedCrm = new Set(crmIds);
  const program = memo((key) => {
    const [workspace = '', id = ''] = key.split('\u0000');
    return direct.program(workspace, id);
  });
  const mine = (workspace: string) => workspace === workspaceId;
  // Other lookups (fuzzy candidates by email domain or last name, members by key) are read
  // once per batch: entries about one domain or person share the answer.
  const otherReferrals = memo((key) => {
    const { workspace, programId, lookup } = JSON.parse(key) as {
      workspace: string;
      programId: string | null;
      lookup: ReferralLookup;
    };
    return direct.findReferrals(workspace, programId, lookup);
  });
  const member = memo((key) => {
    const [programId = '', memberKey = '', value = ''] = key.split('\u0000');
    return direct.findMember(programId, memberKey as MemberKey, value);
  });
  return {
    findReferrals: async (workspace, programId, lookup) => {
      if (!mine(workspace) || lookup.by !== 'ids' || !lookup.ids.every((id) => prefetched.has(id))) {
        return otherReferrals(JSON.stringify({ workspace, programId, lookup }));
      }
      return lookup.ids.flatMap((id) => {
        const row = known.get(id);
        return row && (programId === null || row.programId === programId) ? [row] : [];
      });
    },
    subjectsPushedAs: async (workspace, ids) => {
      if (!mine(workspace) || !ids.every((id) => prefetchedCrm.has(id))) {
        return direct.subjectsPushedAs(workspace, ids);
      }
      return [...new Set(ids.flatMap((id) => pushed.get(id) ?? []))];
    },
    findMember: (programId, key, value) => member(`${programId}\u0000${key}\u0000${value}`),
    program: (workspace, id) => program(`${workspace}\u0000${id}`),
  };
}
