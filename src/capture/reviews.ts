import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { AppError, notFound } from '../core/errors.ts';
import { decodeCursor, type Page, toPage } from '../core/pagination.ts';
import type { Db } from '../db/client.ts';
import { getProgram } from '../programs/service.ts';
import { createReferral } from '../referrals/service.ts';
import { captureReviews } from './tables.ts';

export type ReviewRow = typeof captureReviews.$inferSelect;

export const reviewSchema = z.object({
  id: z.string(),
  programId: z.string(),
  memberId: z.string(),
  via: z.enum(['form', 'script']),
  email: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  company: z.string().nullable(),
  note: z.string().nullable(),
  reason: z.string(),
  status: z.enum(['review', 'accepted', 'rejected']),
  referralId: z.string().nullable().describe('The referral made when it was accepted'),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
});

export function toReviewView(row: ReviewRow): z.infer<typeof reviewSchema> {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
  };
}

export async function listReviews(
  db: Db,
  workspaceId: string,
  programId: string,
  query: { status?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<Page<ReviewRow>> {
  const conditions: SQL[] = [
    eq(captureReviews.workspaceId, workspaceId),
    eq(captureReviews.programId, programId),
  ];
  if (query.status) conditions.push(eq(captureReviews.status, query.status as ReviewRow['status']));
  if (query.cursor) conditions.push(lt(captureReviews.id, decodeCursor(query.cursor)));
  const rows = await db
    .select()
    .from(captureReviews)
    .where(and(...conditions))
    .orderBy(desc(captureReviews.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => row);
}

/** Accepting makes the referral (attributed to the member); rejecting keeps nothing else. */
export async function decideReview(
  ctx: AppContext,
  workspaceId: string,
  id: string,
  decision: 'accept' | 'reject',
  actor: string,
): Promise<ReviewRow> {
  return ctx.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(captureReviews)
      .where(and(eq(captureReviews.id, id), eq(captureReviews.workspaceId, workspaceId)))
      .for('update');
    if (!current) throw notFound('Capture review', id);
    if (current.status !== 'review') {
      throw new AppError('conflict', `status: the review was already ${current.status}`, {
        details: [{ field: 'status', message: `already ${current.status}` }],
      });
    }
    let referralId: string | null = null;
    if (decision === 'accept') {
      const program = await getProgram(tx, workspaceId, current.programId);
      const { referral } = await createReferral(
        tx,
        ctx.queue,
        workspaceId,
        {
          programId: program.id,
          memberId: current.memberId,
          email: current.email,
          firstName: current.firstName,
          lastName: current.lastName,
          company: current.company,
          source: current.via === 'form' ? 'referral_form' : 'referral_link',
          sourceNote: current.note,
        },
        { actor },
      );
      referralId = referral.id;
    }
    const [row] = await tx
      .update(captureReviews)
      .set({ status: decision === 'accept' ? 'accepted' : 'rejected', referralId, decidedAt: new Date() })
      .where(eq(captureReviews.id, id))
      .returning();
    if (!row) throw notFound('Capture review', id);
    return row;
  });
}
