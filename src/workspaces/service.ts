import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import { safeEqual, sha256Hex } from '../core/crypto.ts';
import { AppError, notFound } from '../core/errors.ts';
import { newId, randomString } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { apiKeys, workspaces } from './tables.ts';

const keyAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface Workspace {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

type ApiKeyRow = typeof apiKeys.$inferSelect;

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

export function generateApiKey(): string {
  return `rsk_${randomString(32, keyAlphabet)}`;
}

export async function createWorkspace(db: Db, name: string): Promise<Workspace> {
  const [row] = await db
    .insert(workspaces)
    .values({ id: newId('workspace'), name })
    .returning();
  if (!row) throw new AppError('internal', 'workspace insert returned nothing');
  return row;
}

export async function firstWorkspace(db: Db): Promise<Workspace | undefined> {
  const [row] = await db.select().from(workspaces).orderBy(workspaces.id).limit(1);
  return row;
}

export async function getWorkspace(db: Db, id: string): Promise<Workspace> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id));
  if (!row) throw notFound('Workspace', id);
  return row;
}

/**
 * Stores only the key's hash; the plain key is returned this once. `plainKey` lets automation
 * choose the key (REFSYNC_BOOTSTRAP_API_KEY).
 */
export async function createApiKey(
  db: Db,
  workspaceId: string,
  name: string,
  plainKey: string = generateApiKey(),
): Promise<{ apiKey: ApiKey; key: string }> {
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: newId('apiKey'),
      workspaceId,
      name,
      prefix: plainKey.slice(0, 8),
      hash: sha256Hex(plainKey),
    })
    .returning();
  if (!row) throw new AppError('internal', 'api key insert returned nothing');
  return { apiKey: toApiKey(row), key: plainKey };
}

export async function listApiKeys(db: Db, workspaceId: string): Promise<ApiKey[]> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.workspaceId, workspaceId))
    .orderBy(desc(apiKeys.id));
  return rows.map(toApiKey);
}

export async function revokeApiKey(db: Db, workspaceId: string, id: string): Promise<ApiKey> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.workspaceId, workspaceId)))
    .returning();
  if (!row) throw notFound('API key', id);
  return toApiKey(row);
}

/** Resolves a bearer key to its workspace, or undefined for an unknown or revoked key. */
export async function authenticate(
  db: Db,
  plainKey: string,
): Promise<{ workspaceId: string; apiKeyId: string } | undefined> {
  const hash = sha256Hex(plainKey);
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
  // The lookup is by hash; comparing again in constant time keeps timing from saying anything.
  if (!row || !safeEqual(row.hash, hash)) return undefined;
  // Recording every use would add a write to every request; once a minute is enough to show,
  // and the row we just read already says whether it is due.
  if (row.lastUsedAt && row.lastUsedAt.getTime() > Date.now() - 60_000) {
    return { workspaceId: row.workspaceId, apiKeyId: row.id };
  }
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, row.id),
        sql`(${apiKeys.lastUsedAt} is null or ${lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`)})`,
      ),
    );
  return { workspaceId: row.workspaceId, apiKeyId: row.id };
}

/**
 * Creates the first workspace on an empty database. Returns the new key once, or undefined
 * when a workspace exists already (its keys were shown when it was made).
 */
export async function bootstrapWorkspace(
  db: Db,
  bootstrapKey: string | undefined,
): Promise<{ workspace: Workspace; key: string | undefined; created: boolean }> {
  const existing = await firstWorkspace(db);
  if (existing) {
    if (bootstrapKey) {
      const [row] = await db
        .select()
        .from(apiKeys)
        .where(eq(apiKeys.hash, sha256Hex(bootstrapKey)));
      if (!row) await createApiKey(db, existing.id, 'bootstrap', bootstrapKey);
    }
    return { workspace: existing, key: undefined, created: false };
  }
  return db.transaction(async (tx) => {
    const workspace = await createWorkspace(tx, 'Default workspace');
    const { key } = await createApiKey(tx, workspace.id, 'bootstrap', bootstrapKey);
    return { workspace, key: bootstrapKey ? undefined : key, created: true };
  });
}
