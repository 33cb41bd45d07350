import { and, asc, count, desc, eq, inArray, like, or, type SQL, sql } from 'drizzle-orm';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type Page, toPage } from '../core/pagination.ts';
import { emailKey, nameKey } from '../core/text-keys.ts';
import type { Db } from '../db/client.ts';
import { escapeLike } from '../db/like.ts';
import { findMemberByCode, getMember } from '../members/service.ts';
import { applyCustomFields } from '../programs/custom-fields.ts';
import { getProgram, type ProgramRow } from '../programs/service.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import { changeRowOf } from './batch.ts';
import { listConditions } from './filters.ts';
import {
  decideMilestoneChange,
  judgeMilestoneChange,
  type MilestoneRefusal,
  milestoneKindOf,
  refusalError,
} from './milestone-rules.ts';
import type {
  CreateReferralInput,
  ListReferralsFilter,
  MilestoneChangeView,
  ReferralView,
  UpdateReferralInput,
} from './schemas.ts';
import { referralDetailFields } from './schemas.ts';
import { milestoneChanges, referrals } from './tables.ts';

export type ReferralRow = typeof referrals.$inferSelect;
export type MilestoneChangeRow = typeof milestoneChanges.$inferSelect;

export function toReferralView(row: ReferralRow, program: Pick<ProgramRow, 'milestones'>): ReferralView {
  return {
    id: row.id,
    programId: row.programId,
    memberId: row.memberId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    company: row.company,
    phone: row.phone,
    source: row.source,
    sourceNote: row.sourceNote,
    externalId: row.externalId,
    customFields: row.customFields,
    milestone: row.milestone,
    milestoneKind: milestoneKindOf(program.milestones, row.milestone),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toMilestoneChangeView(row: MilestoneChangeRow): MilestoneChangeView {
  return {
    id: row.id,
    from: row.fromMilestone,
    to: row.toMilestone,
    actor: row.actor,
    reason: row.reason,
    feedback: row.feedback,
    overrodeDenied: row.overrodeDenied,
    createdAt: row.createdAt.toISOString(),
  };
}

function fieldError(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}`, { details: [{ field, message }] });
}

/** The member a referral names, by ID or by referral code, checked to be in the same program. */
async function resolveMember(
  db: Db,
  workspaceId: string,
  programId: string,
  input: { memberId?: string | null | undefined; referralCode?: string | undefined },
): Promise<string | null | undefined> {
  let byId: string | null | undefined = input.memberId;
  if (input.memberId) {
    const member = await getMember(db, workspaceId, input.memberId).catch(() => undefined);
    if (!member || member.programId !== programId) {
      throw fieldError('memberId', `no member ${input.memberId} in program ${programId}`);
    }
    byId = member.id;
  }
  if (input.referralCode) {
    const member = await findMemberByCode(db, programId, input.referralCode);
    if (!member)
      throw fieldError('referralCode', `${input.referralCode} matches no member of program ${programId}`);
    if (byId && byId !== member.id) {
      throw fieldError('referralCode', `belongs to member ${member.id}, not to memberId ${byId}`);
    }
    return member.id;
  }
  return byId;
}

export interface Actor {
  /** `api_key:<id>`, `crm:<connection>`, `system`. */
  actor: string;
}

export async function createReferral(
  db: Db,
  queue: JobQueue,
  workspaceId: string,
  input: CreateReferralInput,
  by: Actor,
): Promise<{ referral: ReferralRow; program: ProgramRow; history: MilestoneChangeRow[] }> {
  return db.transaction(async (tx) => {
    const program = await getProgram(tx, workspaceId, input.programId).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'not_found') {
        throw fieldError('programId', `no program ${input.programId} in this workspace`);
      }
      throw error;
    });
    const customFields = applyCustomFields(program.referralFields, input.customFields, undefined);
    const memberId = await resolveMember(tx, workspaceId, program.id, input);
    const initial = program.milestones[0];
    if (!initial) throw new AppError('internal', `program ${program.id} has no milestones`);
    const milestone = input.milestone ?? initial.code;
    if (input.milestone)
      decideMilestoneChange(program.milestones, initial.code, input.milestone, { overrideDenied: true });
    const id = newId('referral');
    const [referral] = await tx
      .insert(referrals)
      .values({
        id,
        workspaceId,
        programId: program.id,
        memberId: memberId ?? null,
        firstName: input.firstName ?? null,
        lastName: input.lastName ?? null,
        lastNameKey: nameKey(input.lastName),
        email: input.email ?? null,
        emailKey: emailKey(input.email),
        company: input.company ?? null,
        phone: input.phone ?? null,
        source: input.source ?? null,
        sourceNote: input.sourceNote ?? null,
        externalId: input.externalId ?? null,
        customFields,
        milestone,
      })
      .returning();
    if (!referral) throw new AppError('internal', 'referral insert returned nothing');
    const [created] = await tx
      .insert(milestoneChanges)
      .values({
        id: newId('milestoneChange'),
        workspaceId,
        referralId: id,
        fromMilestone: null,
        toMilestone: milestone,
        actor: by.actor,
        reason: 'created',
      })
      .returning();
    if (!created) throw new AppError('internal', 'milestone change insert returned nothing');
    await queue.emit(tx, {
      workspaceId,
      type: 'referral.created',
      subjectId: id,
      payload: { referralId: id, programId: program.id, memberId: referral.memberId },
    });
    return { referral, program, history: [created] };
  });
}

export async function getReferral(
  db: Db,
  workspaceId: string,
  id: string,
  forUpdate = false,
): Promise<ReferralRow> {
  const query = db
    .select()
    .from(referrals)
    .where(and(eq(referrals.id, id), eq(referrals.workspaceId, workspaceId)));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('Referral', id);
  return row;
}

/** One milestone change of the workspace (its feedback, reason and actor), or undefined. */
export async function findMilestoneChange(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<MilestoneChangeRow | undefined> {
  const [row] = await db
    .select()
    .from(milestoneChanges)
    .where(and(eq(milestoneChanges.id, id), eq(milestoneChanges.workspaceId, workspaceId)));
  return row;
}

export async function referralHistory(
  db: Db,
  workspaceId: string,
  referralId: string,
): Promise<MilestoneChangeRow[]> {
  return db
    .select()
    .from(milestoneChanges)
    .where(and(eq(milestoneChanges.referralId, referralId), eq(milestoneChanges.workspaceId, workspaceId)))
    .orderBy(asc(milestoneChanges.id));
}

export async function updateReferral(
  db: Db,
  workspaceId: string,
  id: string,
  input: UpdateReferralInput,
): Promise<{ referral: ReferralRow; program: ProgramRow }> {
  return db.transaction(async (tx) => {
    const current = await getReferral(tx, workspaceId, id, true);
    const program = await getProgram(tx, workspaceId, current.programId);
    const customFields = applyCustomFields(program.referralFields, input.customFields, current.customFields);
    const memberId = await resolveMember(tx, workspaceId, program.id, input);
    const patch: Partial<ReferralRow> = { customFields, updatedAt: new Date() };
    for (const key of referralDetailFields) {
      const value = input[key];
      if (value !== undefined) patch[key] = value;
    }
    if (memberId !== undefined) patch.memberId = memberId;
    if (input.lastName !== undefined) patch.lastNameKey = nameKey(input.lastName);
    if (input.email !== undefined) patch.emailKey = emailKey(input.email);
    const [referral] = await tx
      .update(referrals)
      .set(patch)
      .where(and(eq(referrals.id, id), eq(referrals.workspaceId, workspaceId)))
      .returning();
    if (!referral) throw notFound('Referral', id);
    return { referral, program };
  });
}

export interface MilestoneChangeRequest extends Actor {
  milestone: string;
  reason?: string | undefined;
  feedback?: string | undefined;
  overrideDenied: boolean;
}

export interface MilestoneChanged {
  referral: ReferralRow;
  program: ProgramRow;
  change: MilestoneChangeRow | undefined;
}

/** A milestone change asked for by a caller: a refusal of the rules is its error. */
export async function changeMilestone(
  db: Db,
  queue: JobQueue,
  workspaceId: string,
  referralId: string,
  request: MilestoneChangeRequest,
): Promise<MilestoneChanged> {
  const outcome = await moveMilestone(db, queue, workspaceId, referralId, request);
  if ('refusal' in outcome) throw refusalError(outcome.refusal);
  return outcome;
}

/**
 * The one way a referral's milestone changes. The row is locked for the transaction, the
 * rules in milestone-rules.ts decide, and the history entry and the event commit with it. A
 * refusal of the rules comes back as a value and writes nothing.
 */
export async function moveMilestone(
  db: Db,
  queue: JobQueue,
  workspaceId: string,
  referralId: string,
  request: MilestoneChangeRequest,
): Promise<MilestoneChanged | { refusal: MilestoneRefusal }> {
  return db.transaction(async (tx) => {
    const current = await getReferral(tx, workspaceId, referralId, true);
    const program = await getProgram(tx, workspaceId, current.programId);
    const decision = judgeMilestoneChange(program.milestones, current.milestone, request.milestone, {
      overrideDenied: request.overrideDenied,
    });
    if (decision.kind === 'refused') return { refusal: decision.refusal };
    if (decision.kind === 'unchanged') return { referral: current, program, change: undefined };
    const [referral] = await tx
      .update(referrals)
      .set({ milestone: decision.target.code, updatedAt: new Date() })
      .where(eq(referrals.id, current.id))
      .returning();
    if (!referral) throw notFound('Referral', referralId);
    const [change] = await tx
      .insert(milestoneChanges)
      .values(changeRowOf(workspaceId, current, decision.target.code, request, decision.overridesDenied))
      .returning();
    if (!change) throw new AppError('internal', 'milestone change insert returned nothing');
    await queue.emit(tx, {
      workspaceId,
      type: 'referral.milestone_changed',
      subjectId: referralId,
      payload: {
        referralId,
        programId: program.id,
        changeId: change.id,
        from: current.milestone,
        to: decision.target.code,
      },
    });
    return { referral, program, change };
  });
}

export async function listReferrals(
  db: Db,
  workspaceId: string,
  filter: ListReferralsFilter & { limit: number; cursor?: string | undefined },
): Promise<Page<ReferralRow>> {
  const conditions = listConditions(workspaceId, filter);
  const rows = await db
    .select()
    .from(referrals)
    .where(and(...conditions))
    .orderBy(desc(referrals.id))
    .limit(filter.limit + 1);
  return toPage(rows, filter.limit, (row) => row);
}

/** Where other capabilities look referrals up: by ID, external ID, email domain or last name. */
export type ReferralLookup =
  | { by: 'ids'; ids: string[] }
  | { by: 'externalId'; externalId: string }
  /**
   * The normalised email (`emailKey`); rows from before the key existed are compared by
   * `domain`, the normalised email's domain (Gmail's two domains as one), and must be
   * checked by the caller.
   */
  | { by: 'emailKey'; key: string; domains: string[] }
  /**
   * The normalised last name (`nameKey`); rows from before the key existed are compared by
   * `lastNameLower`, the last name as written, lower case.
   */
  | { by: 'lastNameKey'; key: string; lastNameLower: string };

/** Referrals of the workspace (of one program, unless `programId` is null) that a lookup finds. */
export async function findReferrals(
  db: Db,
  workspaceId: string,
  programId: string | null,
  lookup: ReferralLookup,
): Promise<ReferralRow[]> {
  if (lookup.by === 'ids' && lookup.ids.length === 0) return [];
  const conditions: SQL[] = [eq(referrals.workspaceId, workspaceId)];
  if (programId !== null) conditions.push(eq(referrals.programId, programId));
  switch (lookup.by) {
    case 'ids':
      conditions.push(inArray(referrals.id, lookup.ids));
      break;
    case 'externalId':
      conditions.push(eq(referrals.externalId, lookup.externalId));
      break;
    case 'emailKey': {
      const unkeyed = lookup.domains.map((domain) =>
        like(sql`lower(${referrals.email})`, `%@${escapeLike(domain)}`),
      );
      conditions.push(
        sql`(${referrals.emailKey} = ${lookup.key} or (${referrals.emailKey} is null and ${referrals.email} is not null and (${or(...unkeyed)})))`,
      );
      break;
    }
    case 'lastNameKey':
      conditions.push(
        sql`(${referrals.lastNameKey} = ${lookup.key} or (${referrals.lastNameKey} is null and lower(${referrals.lastName}) = ${lookup.lastNameLower}))`,
      );
      break;
  }
  return db
    .select()
    .from(referrals)
    .where(and(...conditions));
}

/** How many referrals of a program are at each of `codes` (codes nobody is at are left out). */
export async function referralCountsAt(
  db: Db,
  programId: string,
  codes: string[],
): Promise<Array<{ milestone: string; count: number }>> {
  if (codes.length === 0) return [];
  return db
    .select({ milestone: referrals.milestone, count: count() })
    .from(referrals)
    .where(and(eq(referrals.programId, programId), inArray(referrals.milestone, codes)))
    .groupBy(referrals.milestone);
}
