import { eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { decodeCursor } from '../core/pagination.ts';
import { escapeLike } from '../db/like.ts';
import type { ListReferralsFilter } from './schemas.ts';
import { referrals } from './tables.ts';

const dayMs = 24 * 3600 * 1000;

/** The conditions of a referral list: the filters of `GET /referrals` and the cursor. */
export function listConditions(
  workspaceId: string,
  filter: ListReferralsFilter & { cursor?: string | undefined },
): SQL[] {
  const conditions: SQL[] = [eq(referrals.workspaceId, workspaceId)];
  if (filter.programId) conditions.push(eq(referrals.programId, filter.programId));
  if (filter.memberId) conditions.push(eq(referrals.memberId, filter.memberId));
  if (filter.milestone) conditions.push(eq(referrals.milestone, filter.milestone));
  if (filter.email) conditions.push(sql`lower(${referrals.email}) = lower(${filter.email})`);
  if (filter.externalId) conditions.push(eq(referrals.externalId, filter.externalId));
  if (filter.updatedSince) conditions.push(gte(referrals.updatedAt, new Date(filter.updatedSince)));
  if (filter.createdFrom)
    conditions.push(gte(referrals.createdAt, new Date(`${filter.createdFrom}T00:00:00Z`)));
  if (filter.createdTo) {
    conditions.push(
      lt(referrals.createdAt, new Date(new Date(`${filter.createdTo}T00:00:00Z`).getTime() + dayMs)),
    );
  }
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q.trim().toLowerCase())}%`;
    conditions.push(
      sql`(lower(concat_ws(' ', ${referrals.firstName}, ${referrals.lastName}, ${referrals.email}, ${referrals.company}, ${referrals.externalId})) like ${pattern})`,
    );
  }
  if (filter.cursor) conditions.push(lt(referrals.id, decodeCursor(filter.cursor)));
  return conditions;
}
