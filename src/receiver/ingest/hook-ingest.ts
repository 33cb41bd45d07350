import { type ConnectionRow, connectionsOfProvider } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { newId } from '../../core/ids.ts';
import { storableText, valueIssues } from '../../core/outside-input.ts';
import type { HookConnection, HookIngest } from '../../crm/hooks.ts';
import { getProgram } from '../../programs/service.ts';
import { findReferrals } from '../../referrals/service.ts';
import { recordSalesEntries, refusalFor, refusalOf } from '../entries/record.ts';
import { salesEntries } from '../tables.ts';
import { connectionForHook } from './hook-secret.ts';

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
      const rows = await connectionsOfProvider(ctx.db, provider);
      return rows.map((row) => ({
        ...hookConnection(row),
        clientSecret: ctx.secrets.open(row.clientSecretSealed),
      }));
    },
    referralMilestones: async (workspaceId, referralId) => {
      const [referral] = await findReferrals(ctx.db, workspaceId, null, { by: 'ids', ids: [referralId] });
      if (!referral) return undefined;
      const program = await getProgram(ctx.db, workspaceId, referral.programId);
      return program.milestones.map((milestone) => milestone.code);
    },
  };
}
