import { and, count, eq, gt, lt, min, sql } from 'drizzle-orm';
import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { decoyHash, verifyPassword } from './password.ts';
import { findUserByEmail, normalEmail, type SessionRow, startSession, type UserRow } from './service.ts';
import { signInFailures } from './tables.ts';

/**
 * Password guessing is slowed per account and per address (decision 0034): 5 failures for
 * one email, or 30 from one address, within 15 minutes make further attempts wait until the
 * oldest of them is 15 minutes old. Counted in the database, so every process agrees.
 */
export const throttle = { windowMs: 15 * 60_000, perEmail: 5, perIp: 30 };

async function waitFor(db: Db, column: 'email' | 'ip', value: string, limit: number): Promise<number> {
  const since = new Date(Date.now() - throttle.windowMs);
  const [row] = await db
    .select({ n: count(), oldest: min(signInFailures.createdAt) })
    .from(signInFailures)
    .where(and(eq(signInFailures[column], value), gt(signInFailures.createdAt, since)));
  if (!row || row.n < limit || !row.oldest) return 0;
  return Math.max(1, Math.ceil((row.oldest.getTime() + throttle.windowMs - Date.now()) / 1000));
}

export async function signIn(
  db: Db,
  input: { email: string; password: string; ip: string },
): Promise<{ user: UserRow; session: SessionRow; token: string }> {
  const email = normalEmail(input.email);
  const wait = Math.max(
    await waitFor(db, 'email', email, throttle.perEmail),
    await waitFor(db, 'ip', input.ip, throttle.perIp),
  );
  if (wait > 0) {
    throw new AppError(
      'rate_limited',
      `Too many failed sign-ins; try again in ${Math.ceil(wait / 60)} minute${wait > 60 ? 's' : ''}`,
      { details: { retryAfterSeconds: wait }, retryable: true },
    );
  }
  const user = await findUserByEmail(db, email);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !ok) {
    await db.insert(signInFailures).values({ id: newId('signInFailure'), email, ip: input.ip });
    await db.delete(signInFailures).where(lt(signInFailures.createdAt, sql`now() - interval '1 day'`));
    throw new AppError('unauthorized', 'The email or password is wrong');
  }
  await db.delete(signInFailures).where(eq(signInFailures.email, email));
  return { user, ...(await startSession(db, user)) };
}
