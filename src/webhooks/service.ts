import { and, desc, eq, gte, lt } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { privateAddressOf } from '../core/addresses.ts';
import { notFound, validationFailed } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { decodeCursor, type Page, toPage } from '../core/pagination.ts';
import { scheduleAttempt } from './delivery.ts';
import { literalProblem } from './http-send.ts';
import { newSigningSecret } from './signing.ts';
import { webhookAttempts, webhookEndpoints, webhookMessages } from './tables.ts';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type MessageRow = typeof webhookMessages.$inferSelect;

/** A rotated-out secret keeps signing for a day, so receivers can switch without losing messages. */
const PREVIOUS_SECRET_VALID_MS = 24 * 3600 * 1000;

export interface EndpointInput {
  url: string;
  description?: string | null | undefined;
  eventTypes?: string[] | undefined;
  enabled?: boolean | undefined;
}

/** Refuses URLs refsync may not call: not http(s), credentials, or a private address. */
async function checkUrl(ctx: AppContext, raw: string): Promise<void> {
  const fail = (message: string) => validationFailed([{ field: 'url', message }]);
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || !['http:', 'https:'].includes(url.protocol)) throw fail('must be an http or https URL');
  if (url.username || url.password) throw fail('must not carry credentials');
  if (ctx.config.webhooksAllowPrivate) return;
  const literal = literalProblem(url, false);
  if (literal) throw fail(`is not allowed: ${literal} (set REFSYNC_WEBHOOKS_ALLOW_PRIVATE=1 to allow)`);
  let refused: string | undefined;
  try {
    refused = await privateAddressOf(url.hostname);
  } catch {
    // A name that does not resolve yet may later; every delivery checks it again.
    return;
  }
  if (refused) {
    throw fail(
      `is not allowed: ${url.hostname} resolves to ${refused}, a private, loopback or link-local address`,
    );
  }
}

export async function createEndpoint(
  ctx: AppContext,
  workspaceId: string,
  input: EndpointInput,
): Promise<{ endpoint: EndpointRow; secret: string }> {
  await checkUrl(ctx, input.url);
  const secret = newSigningSecret();
  const [endpoint] = await ctx.db
    .insert(webhookEndpoints)
    .values({
      id: newId('webhookEndpoint'),
      workspaceId,
      url: input.url,
      description: input.description ?? null,
      eventTypes: input.eventTypes ?? [],
      enabled: input.enabled ?? true,
      secretSealed: ctx.secrets.seal(secret),
    })
    .returning();
  if (!endpoint) throw new Error('endpoint insert returned nothing');
  return { endpoint, secret };
}

export async function getEndpoint(ctx: AppContext, workspaceId: string, id: string): Promise<EndpointRow> {
  const [endpoint] = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.workspaceId, workspaceId)));
  if (!endpoint) throw notFound('Webhook endpoint', id);
  return endpoint;
}

export async function listEndpoints(ctx: AppContext, workspaceId: string): Promise<EndpointRow[]> {
  return ctx.db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.workspaceId, workspaceId))
    .orderBy(webhookEndpoints.id);
}

export async function updateEndpoint(
  ctx: AppContext,
  workspaceId: string,
  id: string,
  input: { [K in keyof EndpointInput]?: EndpointInput[K] | undefined },
): Promise<EndpointRow> {
  await getEndpoint(ctx, workspaceId, id);
  if (input.url !== undefined) await checkUrl(ctx, input.url);
  const [endpoint] = await ctx.db
    .update(webhookEndpoints)
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.eventTypes !== undefined ? { eventTypes: input.eventTypes } : {}),
      // Enabling again starts the 5-day count afresh.
      ...(input.enabled !== undefined
        ? { enabled: input.enabled, ...(input.enabled ? { failingSince: null, disabledReason: null } : {}) }
        : {}),
      updatedAt: new Date(),
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  if (!endpoint) throw notFound('Webhook endpoint', id);
  return endpoint;
}

/** Deletes the endpoint with its messages and delivery log; pending attempts find nothing. */
export async function deleteEndpoint(ctx: AppContext, workspaceId: string, id: string): Promise<void> {
  await getEndpoint(ctx, workspaceId, id);
  await ctx.db.transaction(async (tx) => {
    await tx.delete(webhookAttempts).where(eq(webhookAttempts.endpointId, id));
    await tx.delete(webhookMessages).where(eq(webhookMessages.endpointId, id));
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  });
}

export async function rotateSecret(
  ctx: AppContext,
  workspaceId: string,
  id: string,
): Promise<{ endpoint: EndpointRow; secret: string }> {
  const current = await getEndpoint(ctx, workspaceId, id);
  const secret = newSigningSecret();
  const [endpoint] = await ctx.db
    .update(webhookEndpoints)
    .set({
      secretSealed: ctx.secrets.seal(secret),
      previousSecretSealed: current.secretSealed,
      previousSecretExpiresAt: new Date(Date.now() + PREVIOUS_SECRET_VALID_MS),
      updatedAt: new Date(),
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  if (!endpoint) throw notFound('Webhook endpoint', id);
  return { endpoint, secret };
}

export async function listMessages(
  ctx: AppContext,
  workspaceId: string,
  endpointId: string,
  filter: { status?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<Page<MessageRow>> {
  await getEndpoint(ctx, workspaceId, endpointId);
  const conditions = [eq(webhookMessages.endpointId, endpointId)];
  if (filter.status) conditions.push(eq(webhookMessages.status, filter.status as MessageRow['status']));
  if (filter.cursor) conditions.push(lt(webhookMessages.id, decodeCursor(filter.cursor)));
  const rows = await ctx.db
    .select()
    .from(webhookMessages)
    .where(and(...conditions))
    .orderBy(desc(webhookMessages.id))
    .limit(filter.limit + 1);
  return toPage(rows, filter.limit, (row) => row);
}

export async function getMessage(ctx: AppContext, workspaceId: string, endpointId: string, id: string) {
  const [message] = await ctx.db
    .select()
    .from(webhookMessages)
    .where(
      and(
        eq(webhookMessages.id, id),
        eq(webhookMessages.endpointId, endpointId),
        eq(webhookMessages.workspaceId, workspaceId),
      ),
    );
  if (!message) throw notFound('Webhook message', id);
  const attempts = await ctx.db
    .select()
    .from(webhookAttempts)
    .where(eq(webhookAttempts.messageId, id))
    .orderBy(webhookAttempts.id);
  return { message, attempts };
}

async function replay(ctx: AppContext, messages: MessageRow[]): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    for (const message of messages) {
      const round = message.round + 1;
      await tx
        .update(webhookMessages)
        .set({ status: 'pending', round, attempts: 0, nextAttemptAt: new Date() })
        .where(eq(webhookMessages.id, message.id));
      await scheduleAttempt(ctx, tx, { messageId: message.id, round, attempt: 0 });
    }
  });
}

/** Sends one message again, with the same `webhook-id`, whatever its state. */
export async function replayMessage(ctx: AppContext, workspaceId: string, endpointId: string, id: string) {
  const { message } = await getMessage(ctx, workspaceId, endpointId, id);
  await replay(ctx, [message]);
}

/** Sends again every message to the endpoint that failed and was created since `since`. */
export async function replayFailed(
  ctx: AppContext,
  workspaceId: string,
  endpointId: string,
  since: Date,
): Promise<number> {
  await getEndpoint(ctx, workspaceId, endpointId);
  const failed = await ctx.db
    .select()
    .from(webhookMessages)
    .where(
      and(
        eq(webhookMessages.endpointId, endpointId),
        eq(webhookMessages.status, 'failed'),
        gte(webhookMessages.createdAt, since),
      ),
    );
  await replay(ctx, failed);
  return failed.length;
}
