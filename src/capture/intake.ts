import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { MemberRow } from '../members/service.ts';
import type { ProgramRow } from '../programs/service.ts';
import { createReferral, listReferrals } from '../referrals/service.ts';
import { captureReviews } from './tables.ts';

/** Someone a member refers, as a form or the conversion script gives them. */
export interface Prospect {
  email: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  company?: string | undefined;
  note?: string | undefined;
  /** The consent wording the member agreed to, when the form asked for it. */
  consent?: string | undefined;
}

export type Via = 'form' | 'script';

/**
 * `created`: a new referral of the member; `duplicate`: the email was referred before and stays
 * with its first referrer; `review`: waits for a person (a member referring themselves).
 */
export type IntakeOutcome = { outcome: 'created'; referralId: string } | { outcome: 'duplicate' | 'review' };

const sources: Record<Via, string> = { form: 'referral_form', script: 'referral_link' };

function sourceNote(prospect: Prospect): string | undefined {
  const parts = [prospect.note?.trim(), prospect.consent ? `Consent given: ${prospect.consent}` : undefined];
  const text = parts.filter(Boolean).join('\n\n');
  return text ? text.slice(0, 2000) : undefined;
}

/**
 * Takes in one captured referral. Two captures of the same email at once are put in line
 * (an advisory lock on program and email), so the first referrer keeps it.
 */
export async function takeReferral(
  ctx: AppContext,
  program: ProgramRow,
  member: MemberRow,
  prospect: Prospect,
  via: Via,
): Promise<IntakeOutcome> {
  const email = prospect.email.trim();
  return ctx.db.transaction(async (tx) => {
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`capture:${program.id}:${email.toLowerCase()}`}))`,
    );
    const earlier = await listReferrals(tx, program.workspaceId, { programId: program.id, email, limit: 1 });
    if (earlier.data.length > 0) return { outcome: 'duplicate' };
    const [waiting] = await tx
      .select({ id: captureReviews.id })
      .from(captureReviews)
      .where(
        and(
          eq(captureReviews.programId, program.id),
          sql`lower(${captureReviews.email}) = lower(${email})`,
          inArray(captureReviews.status, ['review', 'accepted']),
        ),
      )
      .limit(1);
    if (waiting) return { outcome: 'duplicate' };
    if (member.email && member.email.toLowerCase() === email.toLowerCase()) {
      await tx.insert(captureReviews).values({
        id: newId('captureReview'),
        workspaceId: program.workspaceId,
        programId: program.id,
        memberId: member.id,
        via,
        email,
        firstName: prospect.firstName ?? null,
        lastName: prospect.lastName ?? null,
        company: prospect.company ?? null,
        note: sourceNote(prospect) ?? null,
        reason: "the referral's email is the member's own",
        status: 'review',
      });
      return { outcome: 'review' };
    }
    const { referral } = await createReferral(
      tx,
      ctx.queue,
      program.workspaceId,
      {
        programId: program.id,
        memberId: member.id,
        email,
        firstName: prospect.firstName ?? null,
        lastName: prospect.lastName ?? null,
        company: prospect.company ?? null,
        source: sources[via],
        sourceNote: sourceNote(prospect) ?? null,
      },
      { actor: `capture:${via}` },
    );
    return { outcome: 'created', referralId: referral.id };
  });
}
