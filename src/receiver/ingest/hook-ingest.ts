import { and, eq } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { newId } from '../../core/ids.ts';
import { storableText, valueIssues } from '../../core/outside-input.ts';
import type { HookConnection, HookIngest } from '../../crm/hooks.ts';
import { connections, programs, referrals, salesEntries } from '../../db/schema.ts';
import { recordSalesEntries, refusalFor, refusalOf } from '../entries/record.ts';
import { connectionForHook } from './hook-secret.ts';

type ConnectionRow = typeof connections.$inferSelect;

const hookConnection = (row: ConnectionRow): HookConnection => ({
  id: row.id,
  workspaceId: row.workspaceId,
  provider: row.provider,
  accountId: row.accountId,
});

/** The sales receiver as the CRM hooks see it (src/crm/hooks.ts). */
export function hookIngestOf(ctx: AppContext): HookIngest {
  return {
    // The live settings, not a copy: hooks read them on every request.
    config: ctx.config,
    record: async (workspaceId, entries) => {
      await recordSalesEntries(ctx, workspaceId, entries);
    },
    // Saved `failed` directly and never processed: there is nothing in it to process.
    keepUnreadable: async (connection, entry) => {
      await ctx.db
        .insert(salesEntries)
        .values({
          id: newId('salesEntry'),
          workspaceId: connection.workspaceId,
          connectionId: connection.id,
          source: entry.source,
          dedupeKey: storableText(entry.dedupeKey),
          rawPayload: storableText(entry.rawPayload),
          status: 'failed',
          reason: storableText(entry.reason),
          fields: {},
          receivedFields: {},
        })
        .onConflictDoNothing();
    },
    refusalOf,
    refusalOfValue: (received) => refusalFor(valueIssues(received)),
    connectionForHookSecret: async (provider, connectionId, secret) => {
      const row = await connectionForHook(ctx, provider, connectionId, secret);
      return row && hookConnection(row);
    },
    connectionsWithClientSecret: async (provider) => {
      const rows = await ctx.db.select().from(connections).where(eq(connections.provider, provider));
      return rows.map((row) => ({
        ...hookConnection(row),
        clientSecret: ctx.secrets.open(row.clientSecretSealed),
      }));
    },
    referralMilestones: async (workspaceId, referralId) => {
      const [found] = await ctx.db
        .select({ milestones: programs.milestones })
        .from(referrals)
        .innerJoin(programs, eq(programs.id, referrals.programId))
        .where(and(eq(referrals.id, referralId), eq(referrals.workspaceId, workspaceId)));
      return found?.milestones.map((milestone) => milestone.code);
    },
  };
}
