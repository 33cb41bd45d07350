import { and, asc, desc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import { decodeCursor, type Page, toPage } from '../core/pagination.ts';
import type { Db } from '../db/client.ts';
import { getMember } from '../members/service.ts';
import { getReferral } from '../referrals/service.ts';
import { changeReward, getReward, moveReward, type RewardEventRow, type RewardRow } from './ledger.ts';
import type { ListRewardsFilter, RewardView } from './schemas.ts';
import { rewardEvents, rewards } from './tables.ts';

export function toRewardView(row: RewardRow, history?: RewardEventRow[]): RewardView {
  return {
    id: row.id,
    programId: row.programId,
    ruleId: row.ruleId,
    referralId: row.referralId,
    memberId: row.memberId,
    recipient: row.recipient,
    recipientEmail: row.recipientEmail,
    recipientName: row.recipientName,
    currency: row.currency,
    amount: row.amount,
    fulfilment: row.fulfilment,
    status: row.status,
    reason: row.reason,
    needsManualApproval: row.needsManualApproval,
    holdUntil: row.holdUntil?.toISOString() ?? null,
    fulfilmentRef: row.fulfilmentRef,
    attempts: row.attempts,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(history
      ? {
          history: history.map((event) => ({
            from: event.fromStatus,
            to: event.toStatus,
            actor: event.actor,
            reason: event.reason,
            at: event.createdAt.toISOString(),
          })),
        }
      : {}),
  };
}

export async function rewardHistory(db: Db, rewardId: string): Promise<RewardEventRow[]> {
  return db
    .select()
    .from(rewardEvents)
    .where(eq(rewardEvents.rewardId, rewardId))
    .orderBy(asc(rewardEvents.id));
}

export async function rewardDetail(db: Db, workspaceId: string, id: string): Promise<RewardView> {
  const row = await getReward(db, workspaceId, id);
  return toRewardView(row, await rewardHistory(db, row.id));
}

export async function listRewards(
  db: Db,
  workspaceId: string,
  filter: ListRewardsFilter & { limit: number; cursor?: string | undefined },
): Promise<Page<RewardRow>> {
  const conditions: SQL[] = [eq(rewards.workspaceId, workspaceId)];
  if (filter.programId) conditions.push(eq(rewards.programId, filter.programId));
  if (filter.memberId) conditions.push(eq(rewards.memberId, filter.memberId));
  if (filter.referralId) conditions.push(eq(rewards.referralId, filter.referralId));
  if (filter.ruleId) conditions.push(eq(rewards.ruleId, filter.ruleId));
  if (filter.status) conditions.push(eq(rewards.status, filter.status));
  if (filter.cursor) conditions.push(lt(rewards.id, decodeCursor(filter.cursor)));
  const rows = await db
    .select()
    .from(rewards)
    .where(and(...conditions))
    .orderBy(desc(rewards.id))
    .limit(filter.limit + 1);
  return toPage(rows, filter.limit, (row) => row);
}

/** A referral's rewards, after checking the referral is the caller's. */
export async function rewardsOfReferral(db: Db, workspaceId: string, referralId: string) {
  const referral = await getReferral(db, workspaceId, referralId);
  return db.select().from(rewards).where(eq(rewards.referralId, referral.id)).orderBy(asc(rewards.id));
}

/** What a referral's detail shows of its rewards (the referral is already checked). */
export async function rewardSummariesOf(db: Db, workspaceId: string, referralId: string) {
  return db
    .select({
      id: rewards.id,
      ruleId: rewards.ruleId,
      recipient: rewards.recipient,
      status: rewards.status,
      currency: rewards.currency,
      amount: rewards.amount,
      reason: rewards.reason,
    })
    .from(rewards)
    .where(and(eq(rewards.workspaceId, workspaceId), eq(rewards.referralId, referralId)))
    .orderBy(asc(rewards.id));
}

/** A member's totals per currency (null: points), on the referrer side only. */
export async function memberBalance(db: Db, workspaceId: string, memberId: string) {
  const member = await getMember(db, workspaceId, memberId);
  const rows = await db
    .select({
      currency: rewards.currency,
      status: rewards.status,
      total: sql<number>`coalesce(sum(${rewards.amount}), 0)::int`,
    })
    .from(rewards)
    .where(and(eq(rewards.memberId, member.id), eq(rewards.recipient, 'referrer')))
    .groupBy(rewards.currency, rewards.status);
  const byCurrency = new Map<
    string | null,
    { currency: string | null; pending: number; approved: number; paid: number }
  >();
  for (const row of rows) {
    const entry = byCurrency.get(row.currency) ?? {
      currency: row.currency,
      pending: 0,
      approved: 0,
      paid: 0,
    };
    if (row.status === 'pending' || row.status === 'approved' || row.status === 'paid')
      entry[row.status] += row.total;
    byCurrency.set(row.currency, entry);
  }
  return { memberId: member.id, balances: [...byCurrency.values()] };
}

/** A person approves: a held, manual or fraud-flagged reward becomes payable now. */
export async function approveReward(
  ctx: AppContext,
  workspaceId: string,
  actor: string,
  id: string,
  reason?: string,
) {
  return changeReward(
    ctx.db,
    ctx.queue,
    workspaceId,
    id,
    'approved',
    { actor, reason: reason ?? 'approved by hand' },
    { needsManualApproval: false },
  );
}

/** Not while a payout is running: the provider may be paying it this very moment. */
export async function cancelReward(
  ctx: AppContext,
  workspaceId: string,
  actor: string,
  id: string,
  reason: string,
) {
  return ctx.db.transaction(async (tx) => {
    const current = await getReward(tx, workspaceId, id, true);
    if (current.payoutLeaseUntil && current.payoutLeaseUntil > new Date()) {
      throw new AppError('conflict', `Reward ${id} is being paid right now; look again in a minute`, {
        details: { status: current.status },
      });
    }
    return moveReward(tx, ctx.queue, current, 'canceled', { actor, reason });
  });
}

/** A failed reward goes back to approved and is paid again (same provider keys). */
export async function retryReward(ctx: AppContext, workspaceId: string, actor: string, id: string) {
  await changeReward(ctx.db, ctx.queue, workspaceId, id, 'approved', {
    actor,
    reason: 'retry',
  });
  return getReward(ctx.db, workspaceId, id);
}

/** Paid by hand (outside refsync): only approved rewards of the manual fulfilment. */
export async function markPaid(
  ctx: AppContext,
  workspaceId: string,
  actor: string,
  ids: string[],
  note?: string,
) {
  return ctx.db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(rewards)
      .where(and(eq(rewards.workspaceId, workspaceId), inArray(rewards.id, ids)))
      .for('update');
    const missing = ids.filter((id) => !rows.some((row) => row.id === id));
    if (missing.length > 0) throw new AppError('not_found', `Reward ${missing.join(', ')} was not found`);
    const paid: RewardRow[] = [];
    for (const row of rows) {
      if (row.fulfilment !== 'manual') {
        throw new AppError('conflict', `Reward ${row.id} is paid through ${row.fulfilment}, not by hand`);
      }
      const current = await changeReward(tx, ctx.queue, workspaceId, row.id, 'paid', {
        actor,
        reason: note ?? 'paid by hand',
      });
      paid.push(current);
    }
    return paid;
  });
}

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Approved rewards paid by hand, for a bulk payout tool. */
export async function approvedCsv(db: Db, workspaceId: string, programId?: string): Promise<string> {
  const rows = await db
    .select()
    .from(rewards)
    .where(
      and(
        eq(rewards.workspaceId, workspaceId),
        eq(rewards.status, 'approved'),
        eq(rewards.fulfilment, 'manual'),
        programId ? eq(rewards.programId, programId) : undefined,
      ),
    )
    .orderBy(asc(rewards.id));
  const header = [
    'reward_id',
    'program_id',
    'referral_id',
    'member_id',
    'recipient',
    'email',
    'name',
    'currency',
    'amount',
    'amount_minor',
    'approved_at',
  ];
  const lines = rows.map((row) =>
    [
      row.id,
      row.programId,
      row.referralId,
      row.memberId,
      row.recipient,
      row.recipientEmail,
      row.recipientName,
      row.currency ?? 'POINTS',
      row.currency ? (row.amount / 100).toFixed(2) : row.amount,
      row.amount,
      row.updatedAt.toISOString(),
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\n')}\n`;
}
