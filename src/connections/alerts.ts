import { and, asc, eq, inArray, lt, notInArray, type SQL } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Db } from '../db/client.ts';
import { type AlertDetails, type AlertSettingRef, connectionAlerts } from './tables.ts';

/**
 * A connection's health alerts: conditions a person should know about and act on, each in
 * words that name what is affected and what to do. An alert is raised when its condition is
 * seen, stays (one row, one `connection.alert_raised` event) while it lasts, and is cleared
 * (its row deleted, one `connection.alert_cleared` event) when it ends. Every read and write
 * of `connection_alerts` goes through here.
 */

export const alertCodes = [
  /** The CRM refused refsync's tokens (or its address): a person must reconnect. */
  'connection_needs_reauth',
  /** The CRM refused calls for its rate limit. */
  'crm_rate_limited',
  /** A field a push mapping or receiver rule names is gone from the CRM. */
  'crm_field_missing',
  /** An object a push setting or receiver rule names is gone from the CRM (or hidden from refsync). */
  'crm_object_missing',
  /** Catch-up polls keep finding changes while no event arrives. */
  'events_not_arriving',
] as const;

export type AlertCode = (typeof alertCodes)[number];

/** One alert as the API shows it. */
export interface AlertView {
  code: AlertCode;
  /** Tells alerts of one code apart: `crm_field_missing:lead.score__c`. Stable while it holds. */
  key: string;
  message: string;
  /** When the condition was first seen. */
  since: string;
  /** When it was last seen holding. */
  lastSeenAt: string;
  object: string | null;
  field: string | null;
  crmCode: string | null;
  /** The settings that name the missing object or field. */
  settings: AlertSettingRef[];
}

export interface AlertInput {
  code: AlertCode;
  /** Default: the code (one alert of that code per connection). */
  key?: string | undefined;
  message: string;
  details?: AlertDetails | undefined;
}

interface ConnectionKey {
  id: string;
  workspaceId: string;
}

type AlertRow = typeof connectionAlerts.$inferSelect;

function toView(row: AlertRow): AlertView {
  return {
    code: row.code as AlertCode,
    key: row.key,
    message: row.message,
    since: row.raisedAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    object: row.details.object ?? null,
    field: row.details.field ?? null,
    crmCode: row.details.crmCode ?? null,
    settings: row.details.settings ?? [],
  };
}

/** Alerts of these connections, oldest first. */
export async function alertsOf(db: Db, connectionIds: string[]): Promise<Map<string, AlertView[]>> {
  const byConnection = new Map<string, AlertView[]>();
  if (connectionIds.length === 0) return byConnection;
  const rows = await db
    .select()
    .from(connectionAlerts)
    .where(inArray(connectionAlerts.connectionId, connectionIds))
    .orderBy(asc(connectionAlerts.raisedAt), asc(connectionAlerts.key));
  for (const row of rows) {
    const list = byConnection.get(row.connectionId) ?? [];
    list.push(toView(row));
    byConnection.set(row.connectionId, list);
  }
  return byConnection;
}

/**
 * Raises an alert, or notes that it still holds (its words may have changed: another setting
 * now names the field). Only the raise emits an event. `db` may be the caller's transaction,
 * so the alert commits with the change that caused it. Answers whether it was new.
 */
export async function raiseAlert(
  ctx: AppContext,
  connection: ConnectionKey,
  alert: AlertInput,
  db: Db = ctx.db,
): Promise<boolean> {
  const key = alert.key ?? alert.code;
  const details = alert.details ?? {};
  return db.transaction(async (tx) => {
    const [raised] = await tx
      .insert(connectionAlerts)
      .values({
        connectionId: connection.id,
        key,
        workspaceId: connection.workspaceId,
        code: alert.code,
        message: alert.message,
        details,
      })
      .onConflictDoNothing()
      .returning();
    if (!raised) {
      await tx
        .update(connectionAlerts)
        .set({ message: alert.message, details, lastSeenAt: new Date() })
        .where(and(eq(connectionAlerts.connectionId, connection.id), eq(connectionAlerts.key, key)));
      return false;
    }
    await ctx.queue.emit(tx, {
      workspaceId: connection.workspaceId,
      type: 'connection.alert_raised',
      subjectId: connection.id,
      payload: {
        connectionId: connection.id,
        code: alert.code,
        key,
        message: alert.message,
        since: raised.raisedAt.toISOString(),
      },
    });
    return true;
  });
}

export interface ClearFilter {
  code: AlertCode;
  /** Only this alert of the code. */
  key?: string | undefined;
  /** Every alert of the code but these (a check that found the rest still holding). */
  except?: string[] | undefined;
  /** Only alerts last seen before this (a condition that ends by going quiet). */
  seenBefore?: Date | undefined;
}

/** Clears the alerts that match, each with one event. Answers how many ended. */
export async function clearAlerts(
  ctx: AppContext,
  connectionId: string,
  filter: ClearFilter,
  db: Db = ctx.db,
): Promise<number> {
  const conditions: SQL[] = [
    eq(connectionAlerts.connectionId, connectionId),
    eq(connectionAlerts.code, filter.code),
  ];
  if (filter.key !== undefined) conditions.push(eq(connectionAlerts.key, filter.key));
  if (filter.except !== undefined && filter.except.length > 0) {
    conditions.push(notInArray(connectionAlerts.key, filter.except));
  }
  if (filter.seenBefore !== undefined) conditions.push(lt(connectionAlerts.lastSeenAt, filter.seenBefore));
  return db.transaction(async (tx) => {
    const cleared = await tx
      .delete(connectionAlerts)
      .where(and(...conditions))
      .returning();
    await ctx.queue.emitMany(
      tx,
      cleared.map((row) => ({
        workspaceId: row.workspaceId,
        type: 'connection.alert_cleared' as const,
        subjectId: row.connectionId,
        payload: {
          connectionId: row.connectionId,
          code: row.code,
          key: row.key,
          message: row.message,
          since: row.raisedAt.toISOString(),
        },
      })),
    );
    return cleared.length;
  });
}
