import { and, asc, count, eq, gt, isNull, lt, ne, sql } from 'drizzle-orm';
import { sha256Hex } from '../core/crypto.ts';
import { AppError, notFound, validationFailed } from '../core/errors.ts';
import { newId, randomString } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { hashPassword, passwordProblem } from './password.ts';
import { invitations, sessions, type UserRole, users } from './tables.ts';

export type UserRow = typeof users.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

const tokenAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Invitation links work for a week; the owner's first link for a day. */
export const invitationLifetimeMs = 7 * 24 * 3600 * 1000;
export const ownerLinkLifetimeMs = 24 * 3600 * 1000;

export function normalEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function newToken(): string {
  return randomString(40, tokenAlphabet);
}

function checkPassword(password: string, field = 'password'): void {
  const problem = passwordProblem(password);
  if (problem) throw validationFailed([{ field, message: problem }]);
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalEmail(email)));
  return row;
}

export async function getUser(db: Db, workspaceId: string, id: string): Promise<UserRow> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, id), eq(users.workspaceId, workspaceId)));
  if (!row) throw notFound('User', id);
  return row;
}

export async function createUser(
  db: Db,
  workspaceId: string,
  input: { email: string; password: string; role: UserRole },
): Promise<UserRow> {
  checkPassword(input.password);
  const email = normalEmail(input.email);
  if (await findUserByEmail(db, email)) {
    throw new AppError('conflict', `email: ${email} already has an account`, {
      details: [{ field: 'email', message: 'already has an account' }],
    });
  }
  const [row] = await db
    .insert(users)
    .values({
      id: newId('user'),
      workspaceId,
      email,
      passwordHash: await hashPassword(input.password),
      role: input.role,
    })
    .returning();
  if (!row) throw new AppError('internal', 'user insert returned nothing');
  return row;
}

export async function listUsers(db: Db, workspaceId: string): Promise<UserRow[]> {
  return db.select().from(users).where(eq(users.workspaceId, workspaceId)).orderBy(asc(users.email));
}

export async function countUsers(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users).where(eq(users.workspaceId, workspaceId));
  return row?.n ?? 0;
}

/** A workspace always keeps one admin: the last one can be neither demoted nor removed. */
async function assertOtherAdmin(db: Db, workspaceId: string, userId: string, what: string): Promise<void> {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.workspaceId, workspaceId), eq(users.role, 'admin'), ne(users.id, userId)));
  if ((row?.n ?? 0) === 0) {
    throw new AppError('conflict', `This is the workspace's last admin and cannot be ${what}`, {
      details: { userId },
    });
  }
}

export async function changeRole(db: Db, workspaceId: string, id: string, role: UserRole): Promise<UserRow> {
  return db.transaction(async (tx) => {
    const user = await getUser(tx, workspaceId, id);
    if (user.role === 'admin' && role !== 'admin')
      await assertOtherAdmin(tx, workspaceId, id, 'made a viewer');
    const [row] = await tx
      .update(users)
      .set({ role, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    if (!row) throw notFound('User', id);
    return row;
  });
}

export async function removeUser(db: Db, workspaceId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const user = await getUser(tx, workspaceId, id);
    if (user.role === 'admin') await assertOtherAdmin(tx, workspaceId, id, 'removed');
    await tx.delete(sessions).where(eq(sessions.userId, id));
    await tx.delete(users).where(eq(users.id, id));
  });
}

export async function setPassword(
  db: Db,
  user: UserRow,
  password: string,
  keepSession?: string,
): Promise<void> {
  checkPassword(password, 'newPassword');
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash: await hashPassword(password), updatedAt: new Date() })
      .where(eq(users.id, user.id));
    // Other browsers signed in with the old password are signed out.
    await tx
      .delete(sessions)
      .where(and(eq(sessions.userId, user.id), keepSession ? ne(sessions.id, keepSession) : undefined));
  });
}

// --- invitations and the owner's link ---------------------------------------------------

export async function createInvitation(
  db: Db,
  workspaceId: string,
  input: { email: string | null; role: UserRole; createdBy: string; lifetimeMs?: number },
): Promise<{ invitation: InvitationRow; token: string }> {
  const email = input.email === null ? null : normalEmail(input.email);
  if (email && (await findUserByEmail(db, email))) {
    throw new AppError('conflict', `email: ${email} already has an account`, {
      details: [{ field: 'email', message: 'already has an account' }],
    });
  }
  const token = newToken();
  const [invitation] = await db
    .insert(invitations)
    .values({
      id: newId('invitation'),
      workspaceId,
      email,
      role: input.role,
      tokenHash: sha256Hex(token),
      createdBy: input.createdBy,
      expiresAt: new Date(Date.now() + (input.lifetimeMs ?? invitationLifetimeMs)),
    })
    .returning();
  if (!invitation) throw new AppError('internal', 'invitation insert returned nothing');
  return { invitation, token };
}

export async function listInvitations(db: Db, workspaceId: string): Promise<InvitationRow[]> {
  return db
    .select()
    .from(invitations)
    .where(
      and(
        eq(invitations.workspaceId, workspaceId),
        isNull(invitations.usedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, sql`now()`),
      ),
    )
    .orderBy(asc(invitations.id));
}

export async function revokeInvitation(db: Db, workspaceId: string, id: string): Promise<void> {
  const rows = await db
    .update(invitations)
    .set({ revokedAt: sql`coalesce(${invitations.revokedAt}, now())` })
    .where(and(eq(invitations.id, id), eq(invitations.workspaceId, workspaceId)))
    .returning({ id: invitations.id });
  if (rows.length === 0) throw notFound('Invitation', id);
}

/** A link still usable, or a 404 that says links are used once and expire. */
export async function openInvitation(db: Db, token: string, lock = false): Promise<InvitationRow> {
  const query = db
    .select()
    .from(invitations)
    .where(eq(invitations.tokenHash, sha256Hex(token)));
  const [row] = lock ? await query.for('update') : await query;
  if (!row || row.usedAt || row.revokedAt || row.expiresAt.getTime() <= Date.now()) {
    throw new AppError(
      'not_found',
      'This link is not valid: links work once and expire. Ask an admin of the workspace for a new one.',
    );
  }
  return row;
}

/** Sets the password of the invited person: the user is created and the link is spent. */
export async function acceptInvitation(
  db: Db,
  token: string,
  input: { email?: string | undefined; password: string },
): Promise<UserRow> {
  checkPassword(input.password);
  return db.transaction(async (tx) => {
    const invitation = await openInvitation(tx, token, true);
    const email = invitation.email ?? input.email;
    if (!email) throw validationFailed([{ field: 'email', message: 'is required for this link' }]);
    const user = await createUser(tx, invitation.workspaceId, {
      email,
      password: input.password,
      role: invitation.role,
    });
    await tx.update(invitations).set({ usedAt: new Date() }).where(eq(invitations.id, invitation.id));
    return user;
  });
}

/**
 * While a workspace has nobody who can sign in, each start makes a fresh one-time link for
 * its owner (the earlier ones stay valid until they expire). Undefined once someone has.
 */
export async function ownerLinkIfNeeded(db: Db, workspaceId: string): Promise<string | undefined> {
  if ((await countUsers(db, workspaceId)) > 0) return undefined;
  const { token } = await createInvitation(db, workspaceId, {
    email: null,
    role: 'admin',
    createdBy: 'first start',
    lifetimeMs: ownerLinkLifetimeMs,
  });
  return token;
}

/** Where a link token is opened in the console. */
export function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/welcome#token=${token}`;
}

// --- sessions ---------------------------------------------------------------------------

/** Signed-in browsers stay so for 14 days after their last use, 30 days at most. */
export const sessionIdleMs = 14 * 24 * 3600 * 1000;
export const sessionMaxMs = 30 * 24 * 3600 * 1000;

export async function startSession(db: Db, user: UserRow): Promise<{ session: SessionRow; token: string }> {
  const token = newToken();
  const [session] = await db
    .insert(sessions)
    .values({
      id: newId('session'),
      userId: user.id,
      workspaceId: user.workspaceId,
      tokenHash: sha256Hex(token),
      csrfToken: newToken(),
      expiresAt: new Date(Date.now() + sessionIdleMs),
    })
    .returning();
  if (!session) throw new AppError('internal', 'session insert returned nothing');
  // Sessions past their end are cleared as new ones start.
  await db.delete(sessions).where(lt(sessions.expiresAt, sql`now()`));
  return { session, token };
}

/** The session and user of a cookie token, or undefined when it is unknown or expired. */
export async function resumeSession(
  db: Db,
  token: string,
): Promise<{ session: SessionRow; user: UserRow } | undefined> {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, sha256Hex(token)), gt(sessions.expiresAt, sql`now()`)));
  if (!row) return undefined;
  // Sliding expiry, written at most once an hour.
  if (row.session.lastSeenAt.getTime() < Date.now() - 3600_000) {
    const end = Math.min(Date.now() + sessionIdleMs, row.session.createdAt.getTime() + sessionMaxMs);
    await db
      .update(sessions)
      .set({ lastSeenAt: new Date(), expiresAt: new Date(end) })
      .where(eq(sessions.id, row.session.id));
  }
  return row;
}

export async function endSession(db: Db, sessionId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}
