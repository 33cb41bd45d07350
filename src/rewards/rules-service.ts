import { and, asc, count, eq, isNull } from 'drizzle-orm';
import { AppError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { getProgram } from '../programs/service.ts';
import type { CreateRuleInput, RuleView, UpdateRuleInput } from './schemas.ts';
import { couponCodes, rewardRules } from './tables.ts';

export type RuleRow = typeof rewardRules.$inferSelect;

function fieldError(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}`, { details: [{ field, message }] });
}

export function toRuleView(row: RuleRow, couponsAvailable?: number): RuleView {
  return {
    id: row.id,
    programId: row.programId,
    name: row.name,
    enabled: row.enabled,
    milestone: row.milestone,
    recipient: row.recipient,
    amount: row.amount,
    fulfilment: row.fulfilment,
    firstReferrals: row.firstReferrals,
    monthlyCap: row.monthlyCap,
    approval: row.approval,
    holdDays: row.holdDays,
    ...(couponsAvailable === undefined ? {} : { couponsAvailable }),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function createRule(db: Db, workspaceId: string, input: CreateRuleInput): Promise<RuleRow> {
  const program = await getProgram(db, workspaceId, input.programId).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'not_found') {
      throw fieldError('programId', `no program ${input.programId} in this workspace`);
    }
    throw error;
  });
  if (!program.milestones.some((milestone) => milestone.code === input.milestone)) {
    throw fieldError(
      'milestone',
      `${input.milestone} is not a milestone of program ${program.id} (${program.milestones.map((m) => m.code).join(', ')})`,
    );
  }
  if (input.amount.type === 'points' && input.fulfilment !== 'manual') {
    throw fieldError('fulfilment', 'points are credited to the balance; use manual');
  }
  const [row] = await db
    .insert(rewardRules)
    .values({
      id: newId('rewardRule'),
      workspaceId,
      programId: program.id,
      name: input.name,
      enabled: input.enabled,
      milestone: input.milestone,
      recipient: input.recipient,
      amount: input.amount,
      fulfilment: input.fulfilment,
      firstReferrals: input.firstReferrals,
      monthlyCap: input.monthlyCap,
      approval: input.approval,
      holdDays: input.holdDays,
    })
    .returning();
  if (!row) throw new AppError('internal', 'reward rule insert returned nothing');
  return row;
}

export async function getRule(db: Db, workspaceId: string, id: string): Promise<RuleRow> {
  const [row] = await db
    .select()
    .from(rewardRules)
    .where(and(eq(rewardRules.id, id), eq(rewardRules.workspaceId, workspaceId)));
  if (!row) throw notFound('Reward rule', id);
  return row;
}

export async function listRules(db: Db, workspaceId: string, programId?: string): Promise<RuleRow[]> {
  return db
    .select()
    .from(rewardRules)
    .where(
      and(
        eq(rewardRules.workspaceId, workspaceId),
        programId ? eq(rewardRules.programId, programId) : undefined,
      ),
    )
    .orderBy(asc(rewardRules.id));
}

/** Enabled rules a referral reaching `milestone` in `programId` triggers. */
export async function rulesFor(db: Db, programId: string, milestone: string): Promise<RuleRow[]> {
  return db
    .select()
    .from(rewardRules)
    .where(
      and(
        eq(rewardRules.programId, programId),
        eq(rewardRules.milestone, milestone),
        eq(rewardRules.enabled, true),
      ),
    )
    .orderBy(asc(rewardRules.id));
}

export async function updateRule(
  db: Db,
  workspaceId: string,
  id: string,
  input: UpdateRuleInput,
): Promise<RuleRow> {
  await getRule(db, workspaceId, id);
  const [row] = await db
    .update(rewardRules)
    .set({ ...input, updatedAt: new Date() })
    .where(and(eq(rewardRules.id, id), eq(rewardRules.workspaceId, workspaceId)))
    .returning();
  if (!row) throw notFound('Reward rule', id);
  return row;
}

export async function couponsAvailable(db: Db, ruleId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(couponCodes)
    .where(and(eq(couponCodes.ruleId, ruleId), isNull(couponCodes.rewardId)));
  return row?.n ?? 0;
}

/** Adds codes to a rule's pool; codes already in it are skipped. */
export async function addCoupons(
  db: Db,
  workspaceId: string,
  ruleId: string,
  codes: string[],
): Promise<{ added: number; available: number }> {
  const rule = await getRule(db, workspaceId, ruleId);
  if (rule.fulfilment !== 'coupon') {
    throw fieldError('ruleId', `rule ${rule.id} pays through ${rule.fulfilment}, not coupon codes`);
  }
  const unique = [...new Set(codes.map((code) => code.trim()).filter((code) => code !== ''))];
  if (unique.length === 0) throw fieldError('codes', 'no codes given');
  const added = await db
    .insert(couponCodes)
    .values(unique.map((code) => ({ id: newId('couponCode'), workspaceId, ruleId, code })))
    .onConflictDoNothing()
    .returning({ id: couponCodes.id });
  return { added: added.length, available: await couponsAvailable(db, ruleId) };
}
