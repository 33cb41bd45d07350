import { and, eq, gte, inArray, ne, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { getMember, type MemberRow } from '../members/service.ts';
import { getProgram } from '../programs/service.ts';
import { milestoneKindOf } from '../referrals/milestone-rules.ts';
import { getReferral, type ReferralRow } from '../referrals/service.ts';
import { insertReward, moveReward } from './ledger.ts';
import { type RuleRow, rulesFor } from './rules-service.ts';
import { settingsOf } from './settings-service.ts';
import { type RewardRecipient, type RewardStatus, rewards } from './tables.ts';

const DAY_MS = 24 * 3600 * 1000;

function emailDomain(email: string | null | undefined): string | undefined {
  const at = email?.lastIndexOf('@') ?? -1;
  return email && at > 0 ? email.slice(at + 1).toLowerCase() : undefined;
}

/** Why a referral must be looked at by a person before it rewards anyone, if it must. */
export function fraudReason(
  referral: Pick<ReferralRow, 'email'>,
  member: Pick<MemberRow, 'email'> | undefined,
  sameDomainGuard: boolean,
): string | undefined {
  const own = member?.email?.toLowerCase();
  const theirs = referral.email?.toLowerCase();
  if (!own || !theirs) return undefined;
  if (own === theirs) return `needs manual approval: the referral's email ${theirs} is the referrer's own`;
  if (sameDomainGuard && emailDomain(own) === emailDomain(theirs)) {
    return `needs manual approval: the referral's email shares the referrer's domain ${emailDomain(own)}`;
  }
  return undefined;
}

/** The rule's amount for this referral, or why there is none. */
export function amountFor(rule: RuleRow, referral: ReferralRow): { amount: number } | { problem: string } {
  const spec = rule.amount;
  if (spec.type === 'fixed') return { amount: spec.amountMinor };
  if (spec.type === 'points') return { amount: spec.points };
  const path = spec.field.replace(/^referral\./, '');
  const raw = path.startsWith('custom.')
    ? referral.customFields[path.slice('custom.'.length)]
    : (referral as unknown as Record<string, unknown>)[path];
  const value = typeof raw === 'number' ? raw : Number(String(raw ?? '').replace(/[,\s]/g, ''));
  if (raw === undefined || raw === null || raw === '' || !Number.isFinite(value)) {
    return {
      problem: `${spec.field} holds no number (${raw === undefined ? 'empty' : JSON.stringify(raw)})`,
    };
  }
  return { amount: Math.round((value * 100 * spec.percent) / 100) };
}

function startOfMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** Applies the rule's limits; answers the amount to give and, when cut or refused, why. */
async function applyLimits(
  tx: Db,
  rule: RuleRow,
  memberId: string,
  recipient: RewardRecipient,
  amount: number,
  now: Date,
): Promise<{ amount: number; refused?: string; note?: string }> {
  const mine = and(
    eq(rewards.ruleId, rule.id),
    eq(rewards.memberId, memberId),
    eq(rewards.recipient, recipient),
    ne(rewards.status, 'canceled'),
  );
  if (rule.firstReferrals !== null) {
    const [row] = await tx
      .select({ n: sql<number>`count(distinct ${rewards.referralId})::int` })
      .from(rewards)
      .where(mine);
    if ((row?.n ?? 0) >= rule.firstReferrals) {
      return {
        amount,
        refused: `limit: only the member's first ${rule.firstReferrals} referrals are rewarded`,
      };
    }
  }
  if (rule.monthlyCap !== null) {
    const [row] = await tx
      .select({ total: sql<number>`coalesce(sum(${rewards.amount}), 0)::int` })
      .from(rewards)
      .where(and(mine, gte(rewards.createdAt, startOfMonth(now))));
    const left = rule.monthlyCap - (row?.total ?? 0);
    if (left <= 0) return { amount, refused: `limit: the monthly cap of ${rule.monthlyCap} is reached` };
    if (amount > left)
      return { amount: left, note: `reduced to what the monthly cap of ${rule.monthlyCap} leaves` };
  }
  return { amount };
}

interface Side {
  recipient: RewardRecipient;
  email: string | null;
  name: string | null;
}

function sidesOf(rule: RuleRow, referral: ReferralRow, member: MemberRow | undefined): Side[] {
  const sides: Side[] = [];
  const name = (first: string | null, last: string | null) => [first, last].filter(Boolean).join(' ') || null;
  if ((rule.recipient === 'referrer' || rule.recipient === 'both') && member) {
    sides.push({ recipient: 'referrer', email: member.email, name: name(member.firstName, member.lastName) });
  }
  if (rule.recipient === 'referred' || rule.recipient === 'both') {
    sides.push({
      recipient: 'referred',
      email: referral.email,
      name: name(referral.firstName, referral.lastName),
    });
  }
  return sides;
}

async function issueOne(
  ctx: AppContext,
  rule: RuleRow,
  referral: ReferralRow,
  member: MemberRow | undefined,
  side: Side,
  fraud: string | undefined,
  actor: string,
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    // Limits count a member's rewards, so two of its referrals are decided one after the other.
    const lockKey = `reward:${rule.id}:${member?.id ?? referral.id}:${side.recipient}`;
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${lockKey}))`);
    const [existing] = await tx
      .select({ id: rewards.id })
      .from(rewards)
      .where(
        and(
          eq(rewards.referralId, referral.id),
          eq(rewards.ruleId, rule.id),
          eq(rewards.recipient, side.recipient),
        ),
      );
    if (existing) return;
    const now = new Date();
    const computed = amountFor(rule, referral);
    let status: RewardStatus = 'pending';
    let reason: string | null = null;
    let amount = 'amount' in computed ? computed.amount : 0;
    let needsManualApproval = false;
    const limited = member ? await applyLimits(tx, rule, member.id, side.recipient, amount, now) : { amount };
    const holdUntil = rule.holdDays > 0 ? new Date(now.getTime() + rule.holdDays * DAY_MS) : null;
    if ('problem' in computed) {
      status = 'canceled';
      reason = `no amount: ${computed.problem}`;
    } else if (limited.refused) {
      status = 'canceled';
      reason = limited.refused;
    } else if (fraud) {
      amount = limited.amount;
      needsManualApproval = true;
      reason = fraud;
    } else if (rule.approval === 'manual') {
      amount = limited.amount;
      needsManualApproval = true;
      reason = 'awaiting manual approval';
    } else {
      amount = limited.amount;
      status = holdUntil ? 'pending' : 'approved';
      reason = holdUntil ? `on hold until ${holdUntil.toISOString()}` : null;
    }
    if (limited.note && status !== 'canceled') reason = reason ? `${reason}; ${limited.note}` : limited.note;
    const currency = rule.amount.type === 'points' ? null : rule.amount.currency;
    await insertReward(
      tx,
      ctx.queue,
      {
        id: newId('reward'),
        workspaceId: referral.workspaceId,
        programId: referral.programId,
        ruleId: rule.id,
        referralId: referral.id,
        memberId: member?.id ?? null,
        recipient: side.recipient,
        recipientEmail: side.email,
        recipientName: side.name,
        currency,
        amount,
        fulfilment: rule.fulfilment,
        status,
        reason,
        needsManualApproval,
        holdUntil,
      },
      { actor },
    );
  });
}

/**
 * What a referral's milestone change means for rewards: rules for the new milestone issue
 * theirs (at most once each, whatever the number of deliveries), and a denied milestone
 * cancels what is still pending.
 */
export async function onMilestoneChanged(
  ctx: AppContext,
  workspaceId: string,
  event: { referralId: string; programId: string; to: string },
): Promise<void> {
  const program = await getProgram(ctx.db, workspaceId, event.programId);
  if (milestoneKindOf(program.milestones, event.to) === 'denied') {
    await cancelPendingOf(ctx, workspaceId, event.referralId, `the referral was denied (${event.to})`);
    return;
  }
  const rules = await rulesFor(ctx.db, program.id, event.to);
  if (rules.length === 0) return;
  // A redelivered event usually finds every reward made; the unique index still decides races.
  const made = new Set(
    (
      await ctx.db
        .select({ ruleId: rewards.ruleId, recipient: rewards.recipient })
        .from(rewards)
        .where(eq(rewards.referralId, event.referralId))
    ).map((row) => `${row.ruleId}:${row.recipient}`),
  );
  const referral = await getReferral(ctx.db, workspaceId, event.referralId);
  // A late event for a referral denied since rewards nothing.
  if (milestoneKindOf(program.milestones, referral.milestone) === 'denied') return;
  const member = referral.memberId ? await getMember(ctx.db, workspaceId, referral.memberId) : undefined;
  const settings = await settingsOf(ctx.db, program.id);
  const fraud = fraudReason(referral, member, settings?.sameDomainGuard ?? false);
  for (const rule of rules) {
    for (const side of sidesOf(rule, referral, member)) {
      if (made.has(`${rule.id}:${side.recipient}`)) continue;
      await issueOne(ctx, rule, referral, member, side, fraud, `referral:${referral.id}`);
    }
  }
}

export async function cancelPendingOf(
  ctx: AppContext,
  workspaceId: string,
  referralId: string,
  reason: string,
): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const pending = await tx
      .select()
      .from(rewards)
      .where(
        and(
          eq(rewards.workspaceId, workspaceId),
          eq(rewards.referralId, referralId),
          inArray(rewards.status, ['pending']),
        ),
      )
      .for('update');
    for (const reward of pending) {
      await moveReward(tx, ctx.queue, reward, 'canceled', { actor: `referral:${referralId}`, reason });
    }
    return pending.length;
  });
}
