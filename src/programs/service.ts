import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { decodeCursor, type Page, toPage } from '../core/pagination.ts';
import type { Db } from '../db/client.ts';
import { referralCountsAt } from '../referrals/service.ts';
import type { CreateProgramInput, ProgramView, UpdateProgramInput } from './schemas.ts';
import { type MilestoneDefinition, programs } from './tables.ts';

export type ProgramRow = typeof programs.$inferSelect;

export const defaultMilestones: MilestoneDefinition[] = [
  { code: 'submitted', label: 'Submitted', kind: 'pending' },
  { code: 'qualified', label: 'Qualified', kind: 'qualified' },
  { code: 'won', label: 'Won', kind: 'approved' },
  { code: 'lost', label: 'Lost', kind: 'denied' },
];

export function toProgramView(row: ProgramRow): ProgramView {
  return {
    id: row.id,
    name: row.name,
    referralLinkBase: row.referralLinkBase,
    milestones: row.milestones,
    memberFields: row.memberFields,
    referralFields: row.referralFields,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function createProgram(
  db: Db,
  workspaceId: string,
  input: CreateProgramInput,
): Promise<ProgramRow> {
  const [row] = await db
    .insert(programs)
    .values({
      id: newId('program'),
      workspaceId,
      name: input.name,
      referralLinkBase: input.referralLinkBase ?? null,
      milestones: input.milestones ?? defaultMilestones,
      memberFields: input.memberFields ?? [],
      referralFields: input.referralFields ?? [],
    })
    .returning();
  if (!row) throw new AppError('internal', 'program insert returned nothing');
  return row;
}

/** The program, or undefined when the workspace has none with this ID. */
export async function findProgram(db: Db, workspaceId: string, id: string): Promise<ProgramRow | undefined> {
  const [row] = await db
    .select()
    .from(programs)
    .where(and(eq(programs.id, id), eq(programs.workspaceId, workspaceId)));
  return row;
}

/**
 * A program by ID alone, for public pages that name a program but no workspace (hosted
 * forms, the referrer portal). Never for API callers: they see only their workspace's.
 */
export async function findPublicProgram(db: Db, id: string): Promise<ProgramRow | undefined> {
  const [row] = await db.select().from(programs).where(eq(programs.id, id));
  return row;
}

export async function getProgram(db: Db, workspaceId: string, id: string): Promise<ProgramRow> {
  const row = await findProgram(db, workspaceId, id);
  if (!row) throw notFound('Program', id);
  return row;
}

export async function listPrograms(
  db: Db,
  workspaceId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<ProgramView>> {
  const conditions = [eq(programs.workspaceId, workspaceId)];
  if (query.cursor) conditions.push(lt(programs.id, decodeCursor(query.cursor)));
  const rows = await db
    .select()
    .from(programs)
    .where(and(...conditions))
    .orderBy(desc(programs.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, toProgramView);
}

/**
 * Milestones can be renamed, reordered and added freely; one that referrals still sit at
 * cannot be removed, or those referrals would point at nothing.
 */
export async function updateProgram(
  db: Db,
  workspaceId: string,
  id: string,
  input: UpdateProgramInput,
): Promise<ProgramRow> {
  return db.transaction(async (tx) => {
    const current = await getProgram(tx, workspaceId, id);
    if (input.milestones) {
      const kept = new Set(input.milestones.map((m) => m.code));
      const removed = current.milestones.map((m) => m.code).filter((code) => !kept.has(code));
      if (removed.length > 0) {
        const inUse = await referralCountsAt(tx, id, removed);
        if (inUse.length > 0) {
          const list = inUse.map((row) => `${row.milestone} (${row.count} referrals)`).join(', ');
          throw new AppError(
            'conflict',
            `milestones: cannot remove milestones that referrals are at: ${list}`,
            {
              details: inUse.map((row) => ({
                field: 'milestones',
                milestone: row.milestone,
                referrals: row.count,
              })),
            },
          );
        }
      }
    }
    const [row] = await tx
      .update(programs)
      .set({
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.referralLinkBase === undefined ? {} : { referralLinkBase: input.referralLinkBase }),
        ...(input.milestones === undefined ? {} : { milestones: input.milestones }),
        ...(input.memberFields === undefined ? {} : { memberFields: input.memberFields }),
        ...(input.referralFields === undefined ? {} : { referralFields: input.referralFields }),
        updatedAt: new Date(),
      })
      .where(and(eq(programs.id, id), eq(programs.workspaceId, workspaceId)))
      .returning();
    if (!row) throw notFound('Program', id);
    return row;
  });
}

export async function programsByIds(
  db: Db,
  workspaceId: string,
  ids: string[],
): Promise<Map<string, ProgramRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select()
    .from(programs)
    .where(and(eq(programs.workspaceId, workspaceId), inArray(programs.id, unique)));
  return new Map(rows.map((row) => [row.id, row]));
}
