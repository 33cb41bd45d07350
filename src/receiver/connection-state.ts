import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { receiverConnectionState as state } from './tables.ts';

/**
 * The receiver's own record of each connection: when events and polls last arrived, the
 * poll cursor and the Salesforce hook secret. Every read and write of `receiver_connection_state`
 * goes through here; a connection has no row until the receiver first needs one.
 */

/** What the connection's health answer shows about the receiver. */
export interface ReceiverHealth {
  /** When an event last arrived (outbound message, webhook, API entry); polls do not move it. */
  lastEntryAt: string | null;
  /** When the last catch-up poll completed. */
  lastPollAt: string | null;
  /** How many changes that poll found that no event had brought. */
  lastPollFound: number | null;
}

export const noReceiverHealth: ReceiverHealth = { lastEntryAt: null, lastPollAt: null, lastPollFound: null };

export async function receiverHealthOf(
  db: Db,
  connectionIds: string[],
): Promise<Map<string, ReceiverHealth>> {
  const health = new Map<string, ReceiverHealth>();
  if (connectionIds.length === 0) return health;
  const rows = await db
    .select({
      connectionId: state.connectionId,
      lastEntryAt: state.lastEntryAt,
      lastPollAt: state.lastPollAt,
      lastPollFound: state.lastPollFound,
    })
    .from(state)
    .where(inArray(state.connectionId, connectionIds));
  for (const row of rows) {
    health.set(row.connectionId, {
      lastEntryAt: row.lastEntryAt?.toISOString() ?? null,
      lastPollAt: row.lastPollAt?.toISOString() ?? null,
      lastPollFound: row.lastPollFound,
    });
  }
  for (const id of connectionIds) if (!health.has(id)) health.set(id, noReceiverHealth);
  return health;
}

interface ConnectionKey {
  id: string;
  workspaceId: string;
}

/** Makes the connection's row when it has none; never touches (or locks) an existing one. */
async function ensureRow(db: Db, connection: ConnectionKey): Promise<void> {
  await db
    .insert(state)
    .values({ connectionId: connection.id, workspaceId: connection.workspaceId })
    .onConflictDoNothing();
}

/** How stale `last_entry_at` may be: it is written at most this often per connection. */
const ENTRY_NOTE_SECONDS = 5;
/** When this process last wrote each connection's `last_entry_at` (ms). */
const notedAt = new Map<string, number>();

/**
 * Notes that events arrived. Written at most every few seconds: a busy connection's
 * deliveries would otherwise all queue on this one row's lock. A process that wrote it
 * moments ago does not even ask the database; others find it fresh and leave it.
 */
export async function noteEventsArrived(db: Db, connections: ConnectionKey[]): Promise<void> {
  const now = Date.now();
  for (const connection of connections) {
    if (now - (notedAt.get(connection.id) ?? 0) < ENTRY_NOTE_SECONDS * 1000) continue;
    notedAt.set(connection.id, now);
    const updated = await db
      .update(state)
      .set({ lastEntryAt: sql`now()` })
      .where(
        and(
          eq(state.connectionId, connection.id),
          or(
            isNull(state.lastEntryAt),
            lt(state.lastEntryAt, sql`now() - make_interval(secs => ${ENTRY_NOTE_SECONDS})`),
          ),
        ),
      )
      .returning({ id: state.connectionId });
    if (updated.length > 0) continue;
    // No row yet, or one written moments ago: only the first case needs a write.
    await db
      .insert(state)
      .values({ connectionId: connection.id, workspaceId: connection.workspaceId, lastEntryAt: sql`now()` })
      .onConflictDoNothing();
  }
}

/** Records modified after the cursor were not polled yet; null before the first poll. */
export async function pollCursorOf(db: Db, connectionId: string): Promise<Date | null> {
  const [row] = await db
    .select({ pollCursor: state.pollCursor })
    .from(state)
    .where(eq(state.connectionId, connectionId));
  return row?.pollCursor ?? null;
}

/** The receiver's state right after a poll. */
export interface AfterPoll {
  pollCursor: Date | null;
  /** Polls in a row that found changes no event had brought, this one included. */
  pollsFoundInRow: number;
  lastEntryAt: Date | null;
}

/**
 * A completed poll: when, how many changes it found, and its cursor moved forward only
 * (a slower concurrent poll never moves it back). Answers the state after the write.
 */
export async function notePollCompleted(
  db: Db,
  connection: ConnectionKey,
  found: number,
  reached: Date | undefined,
): Promise<AfterPoll> {
  await ensureRow(db, connection);
  const [row] = await db
    .update(state)
    .set({
      lastPollAt: sql`now()`,
      lastPollFound: found,
      pollsFoundInRow: found > 0 ? sql`${state.pollsFoundInRow} + 1` : 0,
      ...(reached === undefined
        ? {}
        : {
            // greatest() skips a null cursor.
            pollCursor: sql`greatest(${state.pollCursor}, ${reached.toISOString()}::timestamptz)`,
          }),
    })
    .where(eq(state.connectionId, connection.id))
    .returning({
      pollCursor: state.pollCursor,
      pollsFoundInRow: state.pollsFoundInRow,
      lastEntryAt: state.lastEntryAt,
    });
  return row ?? { pollCursor: null, pollsFoundInRow: 0, lastEntryAt: null };
}

/** The sealed secret of the connection's Salesforce hook URLs, or null before its first use. */
export async function sealedHookSecretOf(db: Db, connectionId: string): Promise<string | null> {
  const [row] = await db
    .select({ sealed: state.hookSecretSealed })
    .from(state)
    .where(eq(state.connectionId, connectionId));
  return row?.sealed ?? null;
}

/**
 * Stores a sealed hook secret. `onlyIfNone`: keeps a secret already there (two first uses at
 * once both end up with the one written first). Answers the sealed secret now stored.
 */
export async function storeHookSecret(
  db: Db,
  connection: ConnectionKey,
  sealed: string,
  options: { onlyIfNone: boolean },
): Promise<string> {
  await ensureRow(db, connection);
  const condition = options.onlyIfNone
    ? and(eq(state.connectionId, connection.id), isNull(state.hookSecretSealed))
    : eq(state.connectionId, connection.id);
  const [written] = await db
    .update(state)
    .set({ hookSecretSealed: sealed })
    .where(condition)
    .returning({ sealed: state.hookSecretSealed });
  if (written?.sealed) return written.sealed;
  const current = await sealedHookSecretOf(db, connection.id);
  if (current === null) throw new Error(`connection ${connection.id} lost its hook secret`);
  return current;
}
