import { and, desc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { decodeCursor, type Page, toPage } from '../core/pagination.ts';
import type { Db } from '../db/client.ts';
import { uniqueViolation } from '../db/errors.ts';
import { escapeLike } from '../db/like.ts';
import { applyCustomFields } from '../programs/custom-fields.ts';
import { getProgram, type ProgramRow } from '../programs/service.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { claimCode, codeTaken, handOverCode, memberLink } from './codes.ts';
import type { CreateMemberInput, ListMembersFilter, MemberView, UpdateMemberInput } from './schemas.ts';
import { members } from './tables.ts';

export type MemberRow = typeof members.$inferSelect;

export function toMemberView(
  row: MemberRow,
  program: Pick<ProgramRow, 'referralLinkBase'>,
  publicUrl: string,
) {
  return {
    id: row.id,
    programId: row.programId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    phone: row.phone,
    externalId: row.externalId,
    referralCode: row.referralCode,
    referralLink: memberLink(row, program, publicUrl),
    customFields: row.customFields,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  } satisfies MemberView;
}

const uniqueFields: Record<string, string> = {
  members_program_code_idx: 'referralCode',
  members_code_key_idx: 'referralCode',
  members_program_email_idx: 'email',
  members_program_external_idx: 'externalId',
};

function conflictOn(field: string, value: string | null | undefined): AppError {
  if (field === 'referralCode') return codeTaken();
  return new AppError('conflict', `${field}: ${value} is already used by another member of this program`, {
    details: [{ field, message: 'is already used by another member of this program' }],
  });
}

/**
 * Checks the program's unique member fields first, so the caller learns which one clashes
 * (referral codes are unique across the install: see `claimCode`).
 */
async function assertUnique(
  db: Db,
  programId: string,
  values: { email?: string | null | undefined; externalId?: string | null | undefined },
  exceptId?: string,
): Promise<void> {
  const checks: Array<[string, string | null | undefined, SQL]> = [
    ['email', values.email, sql`lower(${members.email}) = lower(${values.email ?? ''})`],
    ['externalId', values.externalId, sql`${members.externalId} = ${values.externalId ?? ''}`],
  ];
  for (const [field, value, condition] of checks) {
    if (!value) continue;
    const conditions = [eq(members.programId, programId), condition];
    if (exceptId) conditions.push(sql`${members.id} <> ${exceptId}`);
    const [clash] = await db
      .select({ id: members.id })
      .from(members)
      .where(and(...conditions))
      .limit(1);
    if (clash) throw conflictOn(field, value);
  }
}

function mapUniqueViolation(error: unknown): never {
  const constraint = uniqueViolation(error);
  const field = constraint === undefined ? undefined : uniqueFields[constraint];
  if (field) throw conflictOn(field, 'this value');
  throw error;
}

export async function createMember(
  db: Db,
  queue: JobQueue,
  workspaceId: string,
  input: CreateMemberInput,
): Promise<{ member: MemberRow; program: ProgramRow }> {
  return db
    .transaction(async (tx) => {
      const program = await getProgram(tx, workspaceId, input.programId).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'not_found') {
          throw new AppError(
            'validation_failed',
            `programId: no program ${input.programId} in this workspace`,
            {
              details: [{ field: 'programId', message: 'no such program in this workspace' }],
            },
          );
        }
        throw error;
      });
      const customFields = applyCustomFields(program.memberFields, input.customFields, undefined);
      await assertUnique(tx, program.id, { email: input.email, externalId: input.externalId });
      const referralCode = await claimCode(tx, input.referralCode);
      const [member] = await tx
        .insert(members)
        .values({
          id: newId('member'),
          workspaceId,
          programId: program.id,
          firstName: input.firstName ?? null,
          lastName: input.lastName ?? null,
          email: input.email ?? null,
          phone: input.phone ?? null,
          externalId: input.externalId ?? null,
          referralCode,
          referralCodeKey: referralCode.toLowerCase(),
          customFields,
        })
        .returning();
      if (!member) throw new AppError('internal', 'member insert returned nothing');
      await queue.emit(tx, {
        workspaceId,
        type: 'member.created',
        subjectId: member.id,
        payload: { memberId: member.id, programId: program.id },
      });
      return { member, program };
    })
    .catch(mapUniqueViolation);
}

export async function getMember(db: Db, workspaceId: string, id: string): Promise<MemberRow> {
  const [row] = await db
    .select()
    .from(members)
    .where(and(eq(members.id, id), eq(members.workspaceId, workspaceId)));
  if (!row) throw notFound('Member', id);
  return row;
}

export async function findMemberByCode(
  db: Db,
  programId: string,
  code: string,
): Promise<MemberRow | undefined> {
  const [row] = await db
    .select()
    .from(members)
    .where(and(eq(members.programId, programId), sql`lower(${members.referralCode}) = lower(${code})`));
  return row;
}

/**
 * The member of any program who alone has `code` (case-insensitive): the short link's
 * member. The older codes several programs share name nobody here.
 */
export async function memberWithCode(db: Db, code: string): Promise<MemberRow | undefined> {
  const [row] = await db
    .select()
    .from(members)
    .where(eq(members.referralCodeKey, code.toLowerCase()))
    .limit(1);
  return row;
}

/** How another capability names a member of a program; codes and emails compare without case. */
export type MemberKey = 'referralCode' | 'email' | 'externalId' | 'id';

export async function findMemberInProgram(
  db: Db,
  programId: string,
  key: MemberKey,
  value: string,
): Promise<MemberRow | undefined> {
  const match: Record<MemberKey, SQL> = {
    referralCode: sql`lower(${members.referralCode}) = lower(${value})`,
    email: sql`lower(${members.email}) = lower(${value})`,
    externalId: eq(members.externalId, value),
    id: eq(members.id, value),
  };
  const [row] = await db
    .select()
    .from(members)
    .where(and(eq(members.programId, programId), match[key]));
  return row;
}

export async function membersByIds(db: Db, workspaceId: string, ids: string[]): Promise<MemberRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(members)
    .where(and(eq(members.workspaceId, workspaceId), inArray(members.id, ids)));
}

export async function updateMember(
  db: Db,
  workspaceId: string,
  id: string,
  input: UpdateMemberInput,
): Promise<{ member: MemberRow; program: ProgramRow }> {
  return db
    .transaction(async (tx) => {
      const current = await getMember(tx, workspaceId, id);
      const program = await getProgram(tx, workspaceId, current.programId);
      const customFields = applyCustomFields(program.memberFields, input.customFields, current.customFields);
      const email = input.email === undefined ? current.email : input.email;
      const externalId = input.externalId === undefined ? current.externalId : input.externalId;
      if (!email && !externalId) {
        throw new AppError('validation_failed', 'email: a member needs an email or an externalId', {
          details: [{ field: 'email', message: 'a member needs an email or an externalId' }],
        });
      }
      await assertUnique(tx, program.id, { email: input.email, externalId: input.externalId }, id);
      const newCode =
        input.referralCode !== undefined &&
        input.referralCode.toLowerCase() !== current.referralCode.toLowerCase()
          ? await claimCode(tx, input.referralCode, id)
          : undefined;
      const [member] = await tx
        .update(members)
        .set({
          ...(input.firstName === undefined ? {} : { firstName: input.firstName }),
          ...(input.lastName === undefined ? {} : { lastName: input.lastName }),
          ...(input.email === undefined ? {} : { email: input.email }),
          ...(input.phone === undefined ? {} : { phone: input.phone }),
          ...(input.externalId === undefined ? {} : { externalId: input.externalId }),
          ...(input.referralCode === undefined ? {} : { referralCode: input.referralCode }),
          ...(newCode === undefined ? {} : { referralCodeKey: newCode.toLowerCase() }),
          customFields,
          updatedAt: new Date(),
        })
        .where(and(eq(members.id, id), eq(members.workspaceId, workspaceId)))
        .returning();
      if (!member) throw notFound('Member', id);
      // An older code shared with other programs may now have one member left: theirs alone.
      if (newCode !== undefined && current.referralCodeKey === null)
        await handOverCode(tx, current.referralCode);
      return { member, program };
    })
    .catch(mapUniqueViolation);
}

export async function listMembers(
  db: Db,
  workspaceId: string,
  filter: ListMembersFilter & { limit: number; cursor?: string | undefined },
): Promise<{ page: Page<MemberRow> }> {
  const conditions: SQL[] = [eq(members.workspaceId, workspaceId)];
  if (filter.programId) conditions.push(eq(members.programId, filter.programId));
  if (filter.email) conditions.push(sql`lower(${members.email}) = lower(${filter.email})`);
  if (filter.externalId) conditions.push(eq(members.externalId, filter.externalId));
  if (filter.referralCode)
    conditions.push(sql`lower(${members.referralCode}) = lower(${filter.referralCode})`);
  if (filter.updatedSince) conditions.push(gte(members.updatedAt, new Date(filter.updatedSince)));
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q.trim().toLowerCase())}%`;
    conditions.push(
      sql`(lower(concat_ws(' ', ${members.firstName}, ${members.lastName}, ${members.email}, ${members.referralCode}, ${members.externalId})) like ${pattern})`,
    );
  }
  if (filter.cursor) conditions.push(lt(members.id, decodeCursor(filter.cursor)));
  const rows = await db
    .select()
    .from(members)
    .where(and(...conditions))
    .orderBy(desc(members.id))
    .limit(filter.limit + 1);
  return { page: toPage(rows, filter.limit, (row) => row) };
}
