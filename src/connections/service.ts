import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError, type FieldIssue, notFound, validationFailed } from '../core/errors.ts';
import { newId, randomString } from '../core/ids.ts';
import { CrmError, isNetworkError } from '../crm/errors.ts';
import { type LimitWatch, watchingLimits } from '../crm/limit-notes.ts';
import { connectors } from '../crm/registry.ts';
import type {
  CrmConnector,
  CrmSession,
  OAuthClient,
  Provider,
  ProviderEndpoints,
  TokenSet,
} from '../crm/types.ts';
import type { Db } from '../db/client.ts';
import { reauthWords } from './alert-words.ts';
import { raiseAlert } from './alerts.ts';
import { assertDestination, baseUrlProblem, DestinationRefused } from './destinations.ts';
import { excerpt, storedError } from './foreign-text.ts';
import { afterCrmCall } from './rate-limit-alert.ts';
import { connections, oauthStates } from './tables.ts';

export type ConnectionRow = typeof connections.$inferSelect;

/** A state is good for ten minutes: long enough to log in, short enough to be useless later. */
export const stateLifetimeMs = 10 * 60 * 1000;
/** Refresh a token this long before the CRM says it expires. */
const refreshMarginMs = 60 * 1000;

export { type ConnectionView, toConnectionView } from './view.ts';

export function redirectUri(ctx: AppContext): string {
  return `${ctx.config.publicUrl}/oauth/callback`;
}

export function endpointsOf(row: ConnectionRow): ProviderEndpoints {
  return { baseUrl: row.baseUrl, authorizeBaseUrl: row.authorizeBaseUrl };
}

export function oauthClientOf(ctx: AppContext, row: ConnectionRow): OAuthClient {
  return {
    clientId: row.clientId,
    clientSecret: ctx.secrets.open(row.clientSecretSealed),
    redirectUri: redirectUri(ctx),
  };
}

export interface CreateConnectionInput {
  provider: Provider;
  name?: string | undefined;
  clientId: string;
  clientSecret: string;
  baseUrl?: string | undefined;
  authorizeBaseUrl?: string | undefined;
}

async function newAuthorizeUrl(ctx: AppContext, db: Db, row: ConnectionRow): Promise<string> {
  const state = randomString(32, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
  await db.delete(oauthStates).where(lt(oauthStates.createdAt, new Date(Date.now() - stateLifetimeMs)));
  await db.insert(oauthStates).values({ state, workspaceId: row.workspaceId, connectionId: row.id });
  return connectors[row.provider].authorizeUrl(endpointsOf(row), oauthClientOf(ctx, row), state);
}

export async function createConnection(
  ctx: AppContext,
  workspaceId: string,
  input: CreateConnectionInput,
): Promise<{ connection: ConnectionRow; authorizeUrl: string }> {
  const defaults = connectors[input.provider].defaultEndpoints;
  const baseUrl = (input.baseUrl ?? defaults.baseUrl).replace(/\/+$/, '');
  const authorizeBaseUrl = (
    input.authorizeBaseUrl ?? (input.baseUrl ? baseUrl : defaults.authorizeBaseUrl)
  ).replace(/\/+$/, '');
  const issues: FieldIssue[] = [];
  const given = input.authorizeBaseUrl === undefined ? [] : [['authorizeBaseUrl', authorizeBaseUrl] as const];
  for (const [field, url] of [['baseUrl', baseUrl] as const, ...given]) {
    const problem = await baseUrlProblem(ctx, input.provider, url);
    if (problem !== undefined) issues.push({ field, message: problem });
  }
  if (issues.length > 0) throw validationFailed(issues);
  return ctx.db.transaction(async (tx) => {
    const [connection] = await tx
      .insert(connections)
      .values({
        id: newId('connection'),
        workspaceId,
        provider: input.provider,
        name: input.name ?? connectors[input.provider].names.crm,
        status: 'pending',
        baseUrl,
        authorizeBaseUrl,
        clientId: input.clientId,
        clientSecretSealed: ctx.secrets.seal(input.clientSecret),
      })
      .returning();
    if (!connection) throw new AppError('internal', 'connection insert returned nothing');
    return { connection, authorizeUrl: await newAuthorizeUrl(ctx, tx, connection) };
  });
}

export async function getConnection(db: Db, workspaceId: string, id: string): Promise<ConnectionRow> {
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.workspaceId, workspaceId)));
  if (!row) throw notFound('Connection', id);
  return row;
}

/**
 * A connection by ID alone (jobs and hooks carry no caller's workspace), or undefined; with
 * `workspaceId`, only that workspace's.
 */
export async function findConnection(
  db: Db,
  id: string,
  workspaceId?: string,
): Promise<ConnectionRow | undefined> {
  const [row] = await db
    .select()
    .from(connections)
    .where(
      and(
        eq(connections.id, id),
        workspaceId === undefined ? undefined : eq(connections.workspaceId, workspaceId),
      ),
    );
  return row;
}

/** Which of these connections are connected (consent given, tokens accepted). */
export async function connectedAmong(
  db: Db,
  ids: string[],
): Promise<Array<{ id: string; workspaceId: string }>> {
  if (ids.length === 0) return [];
  return db
    .select({ id: connections.id, workspaceId: connections.workspaceId })
    .from(connections)
    .where(and(inArray(connections.id, ids), eq(connections.status, 'connected')));
}

/** Every connection of one provider, in any workspace (inbound hooks find theirs by account). */
export async function connectionsOfProvider(db: Db, provider: Provider): Promise<ConnectionRow[]> {
  return db.select().from(connections).where(eq(connections.provider, provider));
}

export async function listConnections(db: Db, workspaceId: string): Promise<ConnectionRow[]> {
  return db
    .select()
    .from(connections)
    .where(eq(connections.workspaceId, workspaceId))
    .orderBy(desc(connections.id));
}

/** A fresh consent round trip, e.g. to reconnect after `needs_reauth`. */
export async function authorizeAgain(ctx: AppContext, workspaceId: string, id: string): Promise<string> {
  const row = await getConnection(ctx.db, workspaceId, id);
  return newAuthorizeUrl(ctx, ctx.db, row);
}

export function tokenColumns(ctx: AppContext, tokens: TokenSet) {
  return {
    accessTokenSealed: ctx.secrets.seal(tokens.accessToken),
    ...(tokens.refreshToken ? { refreshTokenSealed: ctx.secrets.seal(tokens.refreshToken) } : {}),
    tokenExpiresAt: tokens.expiresAt ?? null,
    ...(tokens.instanceUrl ? { instanceUrl: tokens.instanceUrl } : {}),
  };
}

export async function deleteConnection(db: Db, workspaceId: string, id: string): Promise<void> {
  await getConnection(db, workspaceId, id);
  await db.transaction(async (tx) => {
    await tx.delete(oauthStates).where(eq(oauthStates.connectionId, id));
    await tx
      .update(connections)
      .set({
        status: 'needs_reauth',
        accessTokenSealed: null,
        refreshTokenSealed: null,
        accountId: null,
        lastError: 'Disconnected by a user',
        lastErrorAt: new Date(),
        updatedAt: new Date(),
      })
      .where(eq(connections.id, id));
  });
}

/** Thrown when a connection cannot be used until a person reconnects it. */
export class ConnectionNeedsReauth extends AppError {
  constructor(
    readonly connectionId: string,
    message: string,
  ) {
    super('connection_needs_reauth', message, { details: { connectionId }, forCaller: false });
    this.name = 'ConnectionNeedsReauth';
  }
}

async function markNeedsReauth(ctx: AppContext, id: string, message: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const [before] = await tx
      .select({
        status: connections.status,
        workspaceId: connections.workspaceId,
        provider: connections.provider,
      })
      .from(connections)
      .where(eq(connections.id, id))
      .for('update');
    await tx
      .update(connections)
      .set({
        status: 'needs_reauth',
        lastError: storedError(message),
        lastErrorAt: new Date(),
        updatedAt: new Date(),
      })
      .where(eq(connections.id, id));
    // Told once per breakage, not on every call that finds it still broken.
    if (before && before.status !== 'needs_reauth') {
      await ctx.queue.emit(tx, {
        workspaceId: before.workspaceId,
        type: 'connection.needs_reauth',
        subjectId: id,
        payload: { connectionId: id, reason: storedError(message) },
      });
    }
    if (before) {
      await raiseAlert(
        ctx,
        { id, workspaceId: before.workspaceId },
        { code: 'connection_needs_reauth', message: reauthWords(before.provider, message) },
        tx,
      );
    }
  });
}

/**
 * Before any call: the connection's URLs must still be ones refsync may call (the operator's
 * list can change, a name can start resolving to a private address). A refused URL needs a
 * person; a name that does not resolve is an outage like any other.
 */
async function checkDestinations(ctx: AppContext, row: ConnectionRow, tokens?: TokenSet): Promise<void> {
  const instanceUrl = tokens ? tokens.instanceUrl : (row.instanceUrl ?? undefined);
  try {
    await assertDestination(ctx, row.provider, row.baseUrl, 'base');
    if (instanceUrl !== undefined) await assertDestination(ctx, row.provider, instanceUrl, 'instance');
  } catch (error) {
    if (error instanceof DestinationRefused) {
      const message = `refsync may not call this CRM address: ${excerpt(error)}. Reconnect it.`;
      await markNeedsReauth(ctx, row.id, message);
      throw new ConnectionNeedsReauth(row.id, message);
    }
    if (isNetworkError(error)) {
      const code = (error as { code?: unknown }).code;
      throw new CrmError('unavailable', typeof code === 'string' ? code : 'NETWORK_ERROR', excerpt(error), {
        cause: error,
      });
    }
    throw error;
  }
}

async function refreshTokens(ctx: AppContext, row: ConnectionRow): Promise<ConnectionRow> {
  const refreshToken = row.refreshTokenSealed ? ctx.secrets.open(row.refreshTokenSealed) : undefined;
  if (!refreshToken) {
    const message = 'The CRM refused the access token and there is no refresh token; reconnect.';
    await markNeedsReauth(ctx, row.id, message);
    throw new ConnectionNeedsReauth(row.id, message);
  }
  await checkDestinations(ctx, row);
  let tokens: TokenSet;
  try {
    tokens = await connectors[row.provider].refresh(endpointsOf(row), oauthClientOf(ctx, row), refreshToken);
  } catch (error) {
    if (error instanceof CrmError && (error.kind === 'unavailable' || error.kind === 'rate_limited'))
      throw error;
    const message = `Refreshing the access token failed: ${excerpt(error)}`;
    await markNeedsReauth(ctx, row.id, message);
    throw new ConnectionNeedsReauth(row.id, message);
  }
  await checkDestinations(ctx, row, tokens);
  const [updated] = await ctx.db
    .update(connections)
    .set({ ...tokenColumns(ctx, tokens), updatedAt: new Date() })
    .where(eq(connections.id, row.id))
    .returning();
  if (!updated) throw notFound('Connection', row.id);
  return updated;
}

function sessionOf(ctx: AppContext, row: ConnectionRow): CrmSession {
  if (!row.accessTokenSealed || !row.accountId) {
    throw new ConnectionNeedsReauth(row.id, 'The connection has no tokens; finish connecting it.');
  }
  return {
    endpoints: endpointsOf(row),
    accessToken: ctx.secrets.open(row.accessTokenSealed),
    instanceUrl: row.instanceUrl ?? undefined,
    accountId: row.accountId,
  };
}

/**
 * Runs `call` with a working session: refreshes a token about to expire, and on a 401
 * refreshes once and tries again. A refresh the CRM refuses marks the connection
 * `needs_reauth` with the CRM's message. Every answer updates the connection's health, and a
 * rate-limit refusal seen on the way (even one a retry rode out) raises its alert.
 */
export async function withCrm<T>(
  ctx: AppContext,
  connectionId: string,
  call: (session: CrmSession, connector: CrmConnector, connection: ConnectionRow) => Promise<T>,
): Promise<T> {
  const watch: LimitWatch = { seen: undefined };
  let used: ConnectionRow | undefined;
  try {
    return await watchingLimits(watch, () =>
      callCrm(ctx, connectionId, (session, connector, connection) => {
        used = connection;
        return call(session, connector, connection);
      }),
    );
  } finally {
    await afterCrmCall(ctx, connectionId, watch.seen, used);
  }
}

async function callCrm<T>(
  ctx: AppContext,
  connectionId: string,
  call: (session: CrmSession, connector: CrmConnector, connection: ConnectionRow) => Promise<T>,
): Promise<T> {
  const [found] = await ctx.db.select().from(connections).where(eq(connections.id, connectionId));
  if (!found) throw new ConnectionNeedsReauth(connectionId, 'The connection no longer exists.');
  let row = found;
  if (row.status !== 'connected') {
    throw new ConnectionNeedsReauth(row.id, row.lastError ?? 'The connection is not connected.');
  }
  const connector = connectors[row.provider];
  try {
    await checkDestinations(ctx, row);
  } catch (error) {
    if (error instanceof CrmError) await recordHealth(ctx, row.id, `${error.crmCode}: ${error.message}`);
    throw error;
  }
  if (row.tokenExpiresAt && row.tokenExpiresAt.getTime() - refreshMarginMs < Date.now()) {
    row = await refreshTokens(ctx, row);
  }
  try {
    const result = await call(sessionOf(ctx, row), connector, row).catch(async (error: unknown) => {
      if (!(error instanceof CrmError) || error.kind !== 'auth') throw error;
      row = await refreshTokens(ctx, row);
      return call(sessionOf(ctx, row), connector, row);
    });
    await recordHealth(ctx, row.id, undefined);
    return result;
  } catch (error) {
    if (error instanceof CrmError) {
      if (error.kind === 'auth') {
        const message = `The CRM refused a freshly refreshed token: ${excerpt(error)}`;
        await markNeedsReauth(ctx, row.id, message);
        throw new ConnectionNeedsReauth(row.id, message);
      }
      await recordHealth(ctx, row.id, `${error.crmCode}: ${error.message}`);
    }
    throw error;
  }
}

/** Last success is written at most every few seconds, so a busy connection is not a hot row. */
async function recordHealth(ctx: AppContext, id: string, error: string | undefined): Promise<void> {
  if (error === undefined) {
    await ctx.db
      .update(connections)
      .set({ lastSuccessAt: new Date() })
      .where(
        and(
          eq(connections.id, id),
          sql`(${connections.lastSuccessAt} is null or ${connections.lastSuccessAt} < now() - interval '5 seconds')`,
        ),
      );
    return;
  }
  await ctx.db
    .update(connections)
    .set({ lastError: storedError(excerpt(error)), lastErrorAt: new Date() })
    .where(eq(connections.id, id));
}
