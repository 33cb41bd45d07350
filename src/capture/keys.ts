import { and, desc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { AppError, notFound } from '../core/errors.ts';
import { newId, randomString } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { publishableKeys } from './tables.ts';

export type PublishableKeyRow = typeof publishableKeys.$inferSelect;

export const createKeyBody = z.object({
  name: z.string().trim().min(1).max(100).default('Website').describe('What the key is for, e.g. the site'),
});

export const publishableKeySchema = z.object({
  id: z.string(),
  programId: z.string(),
  name: z.string(),
  key: z.string().describe('Safe to put in web pages: it can only create referrals for its program'),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});

export type PublishableKeyView = z.infer<typeof publishableKeySchema>;

export function toKeyView(row: PublishableKeyRow): PublishableKeyView {
  return {
    id: row.id,
    programId: row.programId,
    name: row.name,
    key: row.key,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export async function createKey(
  db: Db,
  workspaceId: string,
  programId: string,
  name: string,
): Promise<PublishableKeyRow> {
  const [row] = await db
    .insert(publishableKeys)
    .values({ id: newId('publishableKey'), workspaceId, programId, name, key: `pk_${randomString(32)}` })
    .returning();
  if (!row) throw new AppError('internal', 'publishable key insert returned nothing');
  return row;
}

export async function listKeys(db: Db, workspaceId: string, programId: string): Promise<PublishableKeyRow[]> {
  return db
    .select()
    .from(publishableKeys)
    .where(and(eq(publishableKeys.workspaceId, workspaceId), eq(publishableKeys.programId, programId)))
    .orderBy(desc(publishableKeys.id));
}

/** Revoking is final and repeatable: the key stops working everywhere at once. */
export async function revokeKey(db: Db, workspaceId: string, id: string): Promise<PublishableKeyRow> {
  const [current] = await db
    .select()
    .from(publishableKeys)
    .where(and(eq(publishableKeys.id, id), eq(publishableKeys.workspaceId, workspaceId)));
  if (!current) throw notFound('Publishable key', id);
  if (current.revokedAt) return current;
  const [row] = await db
    .update(publishableKeys)
    .set({ revokedAt: new Date() })
    .where(eq(publishableKeys.id, id))
    .returning();
  return row ?? current;
}

/** The live key with this value, or undefined (unknown and revoked keys alike). */
export async function liveKey(db: Db, key: string): Promise<PublishableKeyRow | undefined> {
  if (!/^pk_[0-9a-z]{32}$/.test(key)) return undefined;
  const [row] = await db
    .select()
    .from(publishableKeys)
    .where(and(eq(publishableKeys.key, key), isNull(publishableKeys.revokedAt)));
  return row;
}
