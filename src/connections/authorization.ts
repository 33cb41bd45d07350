import { and, eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError, notFound } from '../core/errors.ts';
import { connectors } from '../crm/registry.ts';
import type { ConnectedAccount, CrmConnector, Provider, TokenSet } from '../crm/types.ts';
import { uniqueViolation } from '../db/errors.ts';
import { assertDestination, DestinationRefused } from './destinations.ts';
import { excerpt, storedError } from './foreign-text.ts';
import {
  type ConnectionRow,
  endpointsOf,
  getConnection,
  oauthClientOf,
  stateLifetimeMs,
  tokenColumns,
} from './service.ts';
import { connections, oauthStates } from './tables.ts';

/** A consent round trip that did not connect; its message is shown on the callback page. */
export class OAuthCallbackError extends AppError {
  constructor(message: string) {
    super('oauth_callback_failed', message, { forCaller: false });
    this.name = 'OAuthCallbackError';
  }
}

const accountWord = (provider: Provider) => connectors[provider].names.account;

/** Why a callback failed, kept on the connection so its status says what happened. */
async function recordFailure(ctx: AppContext, id: string, message: string): Promise<void> {
  await ctx.db
    .update(connections)
    .set({ lastError: storedError(message), lastErrorAt: new Date(), updatedAt: new Date() })
    .where(eq(connections.id, id));
}

async function fail(ctx: AppContext, row: ConnectionRow, message: string): Promise<never> {
  await recordFailure(ctx, row.id, message);
  throw new OAuthCallbackError(message);
}

/**
 * Every URL of the answer must be one refsync may call: the instance URL gets the access
 * token on every later call, and the identity URL names the org.
 */
async function checkAnswerUrls(
  ctx: AppContext,
  row: ConnectionRow,
  tokens: TokenSet,
  account: ConnectedAccount,
): Promise<void> {
  const urls = [
    ['instance URL', tokens.instanceUrl],
    ['identity URL', account.identityUrl],
  ] as const;
  for (const [what, url] of urls) {
    if (url === undefined) continue;
    try {
      await assertDestination(ctx, row.provider, url, 'instance');
    } catch (error) {
      await fail(
        ctx,
        row,
        `The CRM answered with an ${what} refsync may not call (${excerpt(error)}). Nothing was stored.`,
      );
    }
  }
}

/** The connection (any workspace) that already holds this CRM account, other than `row`. */
async function holderOf(ctx: AppContext, row: ConnectionRow, accountId: string) {
  const [holder] = await ctx.db
    .select({ id: connections.id, name: connections.name, workspaceId: connections.workspaceId })
    .from(connections)
    .where(and(eq(connections.provider, row.provider), eq(connections.accountId, accountId)));
  return holder && holder.id !== row.id ? holder : undefined;
}

async function refuseHeldAccount(
  ctx: AppContext,
  row: ConnectionRow,
  accountId: string,
  holder: { id: string; name: string; workspaceId: string },
): Promise<never> {
  const what = `${accountWord(row.provider)} ${accountId}`;
  if (holder.workspaceId === row.workspaceId) {
    return fail(
      ctx,
      row,
      `${what} is already connected in this workspace, as connection ${holder.id} (${holder.name}). ` +
        `Use that connection, or disconnect it first and then connect this one again.`,
    );
  }
  return fail(
    ctx,
    row,
    `${what} is already connected to another refsync workspace. ` +
      'An account can be connected to one workspace at a time; disconnect it there first.',
  );
}

/**
 * The CRM sent the person back with a code. The state must be one we issued, unused and
 * recent; the CRM must be one refsync may call, its answer verified, and the account must
 * not belong to another connection. Returns the connection and whether it was waiting for
 * a reconnect (so pushes that waited can resume).
 */
export async function completeAuthorization(
  ctx: AppContext,
  state: string,
  code: string,
): Promise<{ connection: ConnectionRow; reconnected: boolean }> {
  const [issued] = await ctx.db.delete(oauthStates).where(eq(oauthStates.state, state)).returning();
  if (!issued || issued.createdAt.getTime() < Date.now() - stateLifetimeMs) {
    throw new OAuthCallbackError(
      'This sign-in link is unknown, already used or expired. Start the connection again.',
    );
  }
  const row = await getConnection(ctx.db, issued.workspaceId, issued.connectionId);
  const connector = connectors[row.provider];
  let exchanged: Awaited<ReturnType<CrmConnector['exchangeCode']>>;
  try {
    await assertDestination(ctx, row.provider, row.baseUrl, 'base');
    exchanged = await connector.exchangeCode(endpointsOf(row), oauthClientOf(ctx, row), code);
  } catch (error) {
    const reason = error instanceof DestinationRefused ? 'refsync may not call it' : 'it refused the sign-in';
    return fail(ctx, row, `The CRM did not connect, ${reason}: ${excerpt(error)}`);
  }
  await checkAnswerUrls(ctx, row, exchanged.tokens, exchanged.account);
  const accountId = exchanged.account.accountId;
  if (row.accountId && row.accountId !== accountId) {
    return fail(
      ctx,
      row,
      `This connection belongs to account ${row.accountId}, but you signed in to ${excerpt(accountId)}. ` +
        'Sign in to the same account, or create a new connection.',
    );
  }
  const holder = await holderOf(ctx, row, accountId);
  if (holder) return refuseHeldAccount(ctx, row, accountId, holder);
  try {
    const [connection] = await ctx.db
      .update(connections)
      .set({
        status: 'connected',
        accountId,
        ...tokenColumns(ctx, exchanged.tokens),
        lastError: null,
        lastErrorAt: null,
        lastSuccessAt: new Date(),
        updatedAt: new Date(),
      })
      .where(eq(connections.id, row.id))
      .returning();
    if (!connection) throw notFound('Connection', row.id);
    return { connection, reconnected: row.status === 'needs_reauth' };
  } catch (error) {
    // Another callback for the same account won the race since `holderOf` looked.
    if (uniqueViolation(error) === 'connections_account_idx') {
      const winner = await holderOf(ctx, row, accountId);
      if (winner) return refuseHeldAccount(ctx, row, accountId, winner);
    }
    throw error;
  }
}
