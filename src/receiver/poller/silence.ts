import { and, eq } from 'drizzle-orm';
import { eventsNotArrivingWords } from '../../connections/alert-words.ts';
import { clearAlerts, raiseAlert } from '../../connections/alerts.ts';
import type { AppContext } from '../../context.ts';
import type { Provider } from '../../crm/types.ts';
import type { AfterPoll } from '../connection-state.ts';
import { receiverSettings } from '../tables.ts';

/**
 * The `events_not_arriving` alert: catch-up polls keep finding changes that no event brought,
 * so the CRM's outbound messages or webhooks are not reaching refsync. Raised after
 * `REFSYNC_EVENTS_SILENCE_POLLS` polls in a row found such changes while no event arrived for
 * `REFSYNC_EVENTS_SILENCE_SECONDS` (or ever); cleared at the first poll after events arrive
 * again, or by the health check once the receiver no longer listens to the connection.
 */
export async function reviewAfterPoll(
  ctx: AppContext,
  connection: { id: string; workspaceId: string; provider: Provider },
  after: AfterPoll,
): Promise<void> {
  const silenceMs = ctx.config.eventsSilenceSeconds * 1000;
  const eventsArrive = after.lastEntryAt !== null && after.lastEntryAt.getTime() > Date.now() - silenceMs;
  try {
    if (eventsArrive) {
      await clearAlerts(ctx, connection.id, { code: 'events_not_arriving' });
      return;
    }
    if (after.pollsFoundInRow < ctx.config.eventsSilencePolls) return;
    await raiseAlert(ctx, connection, {
      code: 'events_not_arriving',
      message: eventsNotArrivingWords(
        connection.provider,
        after.pollsFoundInRow,
        after.lastEntryAt,
        ctx.config.pollIntervalSeconds,
      ),
    });
  } catch (error) {
    // The poll's entries are saved; its health note can wait for the next one.
    ctx.logger.warn({ err: error, connectionId: connection.id }, 'noting the events alert failed');
  }
}

/**
 * Clears the alert of a connection that no poll will look at again: the receiver no longer
 * listens to it, or it is not connected (its own alert, if the CRM refused it, says so).
 */
export async function reviewEventsAlert(
  ctx: AppContext,
  connectionId: string,
  connected: boolean,
): Promise<void> {
  if (!connected) {
    await clearAlerts(ctx, connectionId, { code: 'events_not_arriving' });
    return;
  }
  const [listened] = await ctx.db
    .select({ id: receiverSettings.id })
    .from(receiverSettings)
    .where(and(eq(receiverSettings.connectionId, connectionId), eq(receiverSettings.enabled, true)))
    .limit(1);
  if (!listened) await clearAlerts(ctx, connectionId, { code: 'events_not_arriving' });
}
