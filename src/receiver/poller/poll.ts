import { and, eq } from 'drizzle-orm';
import { ConnectionNeedsReauth, findConnection, withCrm } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import type { CrmRecord } from '../../crm/types.ts';
import { notePollCompleted, pollCursorOf } from '../connection-state.ts';
import { type IncomingEntry, recordSalesEntries } from '../entries/record.ts';
import { receiverSettings } from '../tables.ts';
import { newestReceived } from './known-versions.ts';
import { type PollTarget, pollTargets } from './plan.ts';
import { reviewAfterPoll } from './silence.ts';

/** Knobs of the catch-up poll; every one has a default suited to real CRMs. */
export interface PollerOptions {
  /**
   * How far back the first poll of a connection (no cursor yet) reads. Default 24 hours: as
   * long as Salesforce keeps retrying an outbound message, so a change it gave up on is
   * still inside the window.
   */
  lookbackMs?: number | undefined;
  /**
   * Each poll starts this long before the cursor and reads that stretch again (the dedupe key
   * drops what was already saved). It covers changes a CRM shows late: HubSpot search indexes
   * a change a few seconds after it, and Salesforce stamps a change when its transaction
   * starts, not when it commits. Default 2 minutes.
   */
  overlapMs?: number | undefined;
  /** Records asked for per CRM call. Default 1000. */
  pageLimit?: number | undefined;
  /** CRM calls per object and poll; what is left waits for the next poll. Default 20. */
  maxPagesPerObject?: number | undefined;
}

interface ResolvedPollerOptions {
  lookbackMs: number;
  overlapMs: number;
  pageLimit: number;
  maxPagesPerObject: number;
}

export function resolvePollerOptions(options: PollerOptions = {}): ResolvedPollerOptions {
  return {
    lookbackMs: options.lookbackMs ?? 24 * 60 * 60_000,
    overlapMs: options.overlapMs ?? 2 * 60_000,
    pageLimit: options.pageLimit ?? 1000,
    maxPagesPerObject: options.maxPagesPerObject ?? 20,
  };
}

export type PollOutcome =
  | {
      status: 'polled';
      /** Records read, and how many of them became new sales entries (changes no event brought). */
      records: number;
      entries: number;
      /** The cursor after the poll (ISO), null while nothing was ever seen. */
      cursor: string | null;
    }
  | { status: 'skipped'; reason: string };

/**
 * One modified record as a sales entry. The key names the record's version (its
 * modification time), so the same version polled twice is one entry, and a new change is a
 * new entry. A version an outbound message or webhook already brought is not polled into an
 * entry at all (see `newestReceived`).
 */
export function pollEntry(
  connectionId: string,
  object: string,
  record: CrmRecord,
  modifiedAt: Date,
): IncomingEntry {
  return {
    source: 'poll',
    connectionId,
    dedupeKey: `poll:${connectionId}:${object}:${record.id}:${modifiedAt.getTime()}`,
    rawPayload: JSON.stringify(record),
    objectType: object,
    recordId: record.id,
    fields: record.values,
    occurredAt: modifiedAt,
  };
}

/**
 * Reads what changed in one connection's CRM since its cursor, saves every change no event
 * brought as a sales entry, then notes the poll (when, how many it found) and moves the
 * cursor to the newest change seen. The cursor only moves once every
 * object was read: a CRM failure half way leaves it where it was (the entries already saved
 * stay; reading them again next time is harmless). A connection whose tokens the CRM refuses
 * is skipped, and `withCrm` marks it `needs_reauth`. CRM failures are thrown as CrmError.
 */
export async function pollConnection(
  ctx: AppContext,
  connectionId: string,
  options: PollerOptions = {},
): Promise<PollOutcome> {
  const settings = resolvePollerOptions(options);
  const connection = await findConnection(ctx.db, connectionId);
  if (!connection) return { status: 'skipped', reason: 'The connection no longer exists.' };
  if (connection.status !== 'connected') {
    return { status: 'skipped', reason: `The connection is ${connection.status}.` };
  }
  const rows = await ctx.db
    .select()
    .from(receiverSettings)
    .where(and(eq(receiverSettings.connectionId, connectionId), eq(receiverSettings.enabled, true)));
  const targets = pollTargets(connection.provider, rows);
  if (targets.length === 0) {
    return { status: 'skipped', reason: 'No enabled receiver settings name an object the poll reads.' };
  }
  const cursor = await pollCursorOf(ctx.db, connectionId);
  const since = new Date(
    cursor === null ? Date.now() - settings.lookbackMs : cursor.getTime() - settings.overlapMs,
  );

  try {
    return await withCrm(ctx, connectionId, async (session, connector): Promise<PollOutcome> => {
      const read = connector.modifiedSince?.bind(connector);
      if (read === undefined) {
        return { status: 'skipped', reason: `The ${connection.provider} connector cannot list changes.` };
      }
      let records = 0;
      let entries = 0;
      let newest: number | undefined;
      // Where an object's reading stopped before its end: the cursor may not pass it.
      let unreadFrom: number | undefined;
      const readTarget = async (target: PollTarget) => {
        let from = since;
        for (let call = 0; ; call += 1) {
          if (call === settings.maxPagesPerObject) {
            unreadFrom = Math.min(unreadFrom ?? from.getTime(), from.getTime());
            return;
          }
          const page = await read(session, target.object, from, target.fields, settings.pageLimit);
          const batch: IncomingEntry[] = [];
          const received = await newestReceived(
            ctx.db,
            { workspaceId: connection.workspaceId, connectionId, provider: connection.provider },
            target.object,
            page.records.map((record) => record.id),
          );
          for (const record of page.records) {
            const modifiedAt = record.modifiedAt;
            if (modifiedAt === undefined) {
              ctx.logger.warn(
                { connectionId, object: target.object, recordId: record.id },
                'polled record has no modification time; skipped',
              );
              continue;
            }
            newest = Math.max(newest ?? modifiedAt.getTime(), modifiedAt.getTime());
            const known = received.get(record.id);
            if (known !== undefined && known >= modifiedAt.getTime()) continue;
            batch.push(pollEntry(connectionId, target.object, record, modifiedAt));
          }
          const saved = await recordSalesEntries(ctx, connection.workspaceId, batch);
          records += page.records.length;
          entries += saved.filter((result) => !result.duplicate).length;
          const next = page.nextSince;
          if (next === undefined) return;
          if (next.getTime() <= from.getTime()) {
            // More records share one modification time than a call returns: nothing to gain
            // by asking again; the cursor stays before them.
            ctx.logger.warn(
              { connectionId, object: target.object, at: from.toISOString() },
              'poll cannot page past records that share one modification time',
            );
            unreadFrom = Math.min(unreadFrom ?? from.getTime(), from.getTime());
            return;
          }
          from = next;
        }
      };
      for (const target of targets) await readTarget(target);

      const reached = newest === undefined ? undefined : Math.min(newest, unreadFrom ?? newest);
      const after = await notePollCompleted(
        ctx.db,
        { id: connectionId, workspaceId: connection.workspaceId },
        entries,
        reached === undefined ? undefined : new Date(reached),
      );
      await reviewAfterPoll(ctx, connection, after);
      const cursor = after.pollCursor;
      return { status: 'polled', records, entries, cursor: cursor === null ? null : cursor.toISOString() };
    });
  } catch (error) {
    if (error instanceof ConnectionNeedsReauth) return { status: 'skipped', reason: error.message };
    throw error;
  }
}
