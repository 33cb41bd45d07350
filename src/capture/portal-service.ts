import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { sha256Hex } from '../core/crypto.ts';
import { newId, randomString } from '../core/ids.ts';
import { findMemberInProgram, type MemberRow, membersByIds } from '../members/service.ts';
import type { ProgramRow } from '../programs/service.ts';
import { portalLinks, portalSessions } from './tables.ts';

/** How long an emailed sign-in link works (once). */
export const LINK_TTL_MS = 30 * 60 * 1000;
/** How long a portal session lasts after signing in. */
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
export const SESSION_COOKIE = 'refsync_portal';

const tokenAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const newToken = () => randomString(43, tokenAlphabet);

/**
 * Emails a sign-in link when `email` belongs to a member of the program; does nothing
 * otherwise (the page says the same either way).
 */
export async function requestSignIn(ctx: AppContext, program: ProgramRow, email: string): Promise<void> {
  const member = await findMemberInProgram(ctx.db, program.id, 'email', email.trim());
  if (!member) return;
  const token = newToken();
  const expiresAt = new Date(Date.now() + LINK_TTL_MS);
  const link = `${ctx.config.publicUrl}/portal/${program.id}/auth?token=${token}`;
  await ctx.db.transaction(async (tx) => {
    await tx.insert(portalLinks).values({
      id: newId('portalLink'),
      workspaceId: member.workspaceId,
      memberId: member.id,
      tokenHash: sha256Hex(token),
      expiresAt,
    });
    await ctx.queue.emit(tx, {
      workspaceId: member.workspaceId,
      type: 'member.sign_in_requested',
      subjectId: member.id,
      payload: {
        memberId: member.id,
        programId: program.id,
        link: ctx.secrets.seal(link),
        expiresAt: expiresAt.toISOString(),
      },
    });
  });
}

/** Spends a sign-in link: a new session's token, or undefined when the link is used, expired or unknown. */
export async function consumeLink(
  ctx: AppContext,
  programId: string,
  token: string,
): Promise<string | undefined> {
  if (!/^[A-Za-z0-9]{43}$/.test(token)) return undefined;
  return ctx.db.transaction(async (tx) => {
    const [link] = await tx
      .update(portalLinks)
      .set({ usedAt: new Date() })
      .where(
        and(
          eq(portalLinks.tokenHash, sha256Hex(token)),
          isNull(portalLinks.usedAt),
          gt(portalLinks.expiresAt, new Date()),
        ),
      )
      .returning();
    if (!link) return undefined;
    const [member] = await membersByIds(tx, link.workspaceId, [link.memberId]);
    if (member?.programId !== programId) return undefined;
    const session = newToken();
    await tx.insert(portalSessions).values({
      id: newId('portalSession'),
      workspaceId: link.workspaceId,
      memberId: link.memberId,
      tokenHash: sha256Hex(session),
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
    });
    // Expired links and sessions are dropped as new ones are made.
    await tx.delete(portalLinks).where(lt(portalLinks.expiresAt, new Date(Date.now() - LINK_TTL_MS)));
    await tx.delete(portalSessions).where(lt(portalSessions.expiresAt, new Date()));
    return session;
  });
}

/** The member a session cookie belongs to, when it is live and for this program. */
export async function sessionMember(
  ctx: AppContext,
  programId: string,
  token: string | undefined,
): Promise<MemberRow | undefined> {
  if (!token || !/^[A-Za-z0-9]{43}$/.test(token)) return undefined;
  const [session] = await ctx.db
    .select()
    .from(portalSessions)
    .where(and(eq(portalSessions.tokenHash, sha256Hex(token)), gt(portalSessions.expiresAt, new Date())));
  if (!session) return undefined;
  const [member] = await membersByIds(ctx.db, session.workspaceId, [session.memberId]);
  return member?.programId === programId ? member : undefined;
}

export async function endSession(ctx: AppContext, token: string | undefined): Promise<void> {
  if (!token) return;
  await ctx.db.delete(portalSessions).where(eq(portalSessions.tokenHash, sha256Hex(token)));
}
