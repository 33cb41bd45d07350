import { and, eq, isNull, ne, type SQL, sql } from 'drizzle-orm';
import { AppError } from '../core/errors.ts';
import { randomString } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import type { ProgramRow } from '../programs/service.ts';
import { members } from './tables.ts';

type MemberRow = typeof members.$inferSelect;

/** No 0/O or 1/I, so a code read aloud or retyped survives. 32^8 (about 10^12) codes. */
const codeAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function generateReferralCode(): string {
  return randomString(8, codeAlphabet);
}

/** A code taken anywhere in the install; which program has it is nobody else's business. */
export function codeTaken(): AppError {
  return new AppError('conflict', 'referralCode: this code is already taken; choose another', {
    details: [{ field: 'referralCode', message: 'is already taken; choose another' }],
  });
}

/** Puts writers of one code in line until the transaction ends, so the check below holds. */
async function lockCode(tx: Db, code: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`member-code:${code.toLowerCase()}`}))`);
}

async function someoneHas(tx: Db, code: string, exceptId?: string): Promise<boolean> {
  const conditions: SQL[] = [sql`lower(${members.referralCode}) = lower(${code})`];
  if (exceptId) conditions.push(ne(members.id, exceptId));
  const [row] = await tx
    .select({ id: members.id })
    .from(members)
    .where(and(...conditions))
    .limit(1);
  return row !== undefined;
}

/**
 * A code no other member of the install has (case-insensitively), for a new member or a
 * changed code: the chosen one (409 when taken) or a generated one (drawn again on a clash).
 * Call inside the transaction that writes it; the code stays locked until that ends.
 */
export async function claimCode(
  tx: Db,
  chosen: string | undefined,
  exceptId?: string,
  draw: () => string = generateReferralCode,
): Promise<string> {
  if (chosen !== undefined) {
    await lockCode(tx, chosen);
    if (await someoneHas(tx, chosen, exceptId)) throw codeTaken();
    return chosen;
  }
  for (let attempt = 0; attempt < 8; attempt++) {
    const code = draw();
    await lockCode(tx, code);
    if (!(await someoneHas(tx, code))) return code;
  }
  throw new AppError('internal', 'no free referral code found in 8 draws');
}

/**
 * After a member left an older shared code: when one member alone still has it, that member
 * becomes its holder, so their short link works from now on.
 */
export async function handOverCode(tx: Db, oldCode: string): Promise<void> {
  await lockCode(tx, oldCode);
  const left = await tx
    .select({ id: members.id, key: members.referralCodeKey })
    .from(members)
    .where(sql`lower(${members.referralCode}) = lower(${oldCode})`)
    .limit(2);
  const [only] = left;
  if (left.length !== 1 || !only || only.key !== null) return;
  await tx
    .update(members)
    .set({ referralCodeKey: oldCode.toLowerCase() })
    .where(and(eq(members.id, only.id), isNull(members.referralCodeKey)));
}

/** The program's own link: `/r/{programId}?ref=CODE`, or its `referralLinkBase?ref=CODE`. */
export function programLink(
  program: Pick<ProgramRow, 'id' | 'referralLinkBase'>,
  code: string,
  publicUrl: string,
) {
  const base = program.referralLinkBase ?? `${publicUrl}/r/${program.id}`;
  return `${base}${base.includes('?') ? '&' : '?'}ref=${encodeURIComponent(code)}`;
}

export function shortLink(publicUrl: string, code: string): string {
  return `${publicUrl}/r/${encodeURIComponent(code)}`;
}

/**
 * refsync's link for a member: the short `/r/{code}` when the member alone has the code
 * (every code given since codes became install-wide), else `/r/{programId}?ref={code}`.
 */
export function refsyncLink(
  member: Pick<MemberRow, 'programId' | 'referralCode' | 'referralCodeKey'>,
  publicUrl: string,
) {
  return member.referralCodeKey === null
    ? programLink({ id: member.programId, referralLinkBase: null }, member.referralCode, publicUrl)
    : shortLink(publicUrl, member.referralCode);
}

/**
 * The link the API gives a member: the program's `referralLinkBase?ref=CODE` when the program
 * set one (it skips refsync), else refsync's link.
 */
export function memberLink(
  member: Pick<MemberRow, 'programId' | 'referralCode' | 'referralCodeKey'>,
  program: Pick<ProgramRow, 'referralLinkBase'>,
  publicUrl: string,
): string {
  return program.referralLinkBase
    ? programLink(
        { id: member.programId, referralLinkBase: program.referralLinkBase },
        member.referralCode,
        publicUrl,
      )
    : refsyncLink(member, publicUrl);
}
