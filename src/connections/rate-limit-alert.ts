import type { AppContext } from '../context.ts';
import type { LimitNote } from '../crm/limit-notes.ts';
import { rateLimitWords } from './alert-words.ts';
import { clearAlerts, raiseAlert } from './alerts.ts';
import { type ConnectionRow, findConnection } from './service.ts';

/**
 * The `crm_rate_limited` alert. Raised when a CRM call of the connection was refused for the
 * CRM's rate limit, whether or not a retry rode it out; cleared once no refusal was seen for
 * `REFSYNC_RATE_LIMIT_QUIET_SECONDS`. Both are looked at after CRM calls, which are frequent
 * on a busy connection, so this process writes at most every few seconds per connection and
 * looks for a quiet one at most once a minute (the scheduled health check looks too).
 */

/** This process noted a refusal of the connection at most this often (ms). */
const RAISE_EVERY_MS = 5_000;
const raisedAt = new Map<string, number>();
const clearCheckedAt = new Map<string, number>();

/** After a call under `withCrm`: raises, refreshes or (when quiet long enough) clears the alert. */
export async function afterCrmCall(
  ctx: AppContext,
  connectionId: string,
  seen: LimitNote | undefined,
  known?: Pick<ConnectionRow, 'id' | 'workspaceId' | 'provider'>,
): Promise<void> {
  const now = Date.now();
  try {
    if (seen !== undefined) {
      if (now - (raisedAt.get(connectionId) ?? 0) < RAISE_EVERY_MS) return;
      raisedAt.set(connectionId, now);
      const connection = known ?? (await findConnection(ctx.db, connectionId));
      if (!connection) return;
      await raiseAlert(ctx, connection, {
        code: 'crm_rate_limited',
        message: rateLimitWords(connection.provider, seen),
        details: { crmCode: seen.code },
      });
      return;
    }
    const quietMs = ctx.config.rateLimitQuietSeconds * 1000;
    if (now - (clearCheckedAt.get(connectionId) ?? 0) < Math.min(60_000, quietMs)) return;
    clearCheckedAt.set(connectionId, now);
    await clearQuietRateLimit(ctx, connectionId);
  } catch (error) {
    // The call's own outcome matters more than its health note.
    ctx.logger.warn({ err: error, connectionId }, 'noting the rate limit alert failed');
  }
}

/** Clears the alert when no refusal was seen for the quiet period. */
export function clearQuietRateLimit(ctx: AppContext, connectionId: string): Promise<number> {
  return clearAlerts(ctx, connectionId, {
    code: 'crm_rate_limited',
    seenBefore: new Date(Date.now() - ctx.config.rateLimitQuietSeconds * 1000),
  });
}
