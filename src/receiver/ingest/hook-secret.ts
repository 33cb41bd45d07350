import { and, eq, isNull } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { safeEqual } from '../../core/crypto.ts';
import { randomString } from '../../core/ids.ts';
import { textProblem } from '../../core/outside-input.ts';
import { connections } from '../../db/schema.ts';

type ConnectionRow = typeof connections.$inferSelect;

const secretAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 40 base62 characters: about 238 bits, and safe in a URL path as is. */
const secretLength = 40;

/**
 * The secret in a connection's Salesforce hook URLs, made on first use. Two first uses at
 * once both end up with the one that was written first.
 */
export async function hookSecretOf(ctx: AppContext, connection: ConnectionRow): Promise<string> {
  if (connection.hookSecretSealed) return ctx.secrets.open(connection.hookSecretSealed);
  const secret = randomString(secretLength, secretAlphabet);
  const [written] = await ctx.db
    .update(connections)
    .set({ hookSecretSealed: ctx.secrets.seal(secret) })
    .where(and(eq(connections.id, connection.id), isNull(connections.hookSecretSealed)))
    .returning({ id: connections.id });
  if (written) return secret;
  const [current] = await ctx.db
    .select({ sealed: connections.hookSecretSealed })
    .from(connections)
    .where(eq(connections.id, connection.id));
  if (!current?.sealed) throw new Error(`connection ${connection.id} lost its hook secret`);
  return ctx.secrets.open(current.sealed);
}

/** A new secret for the connection's Salesforce hook URLs; the old URLs stop working at once. */
export async function rotateHookSecret(ctx: AppContext, connection: ConnectionRow): Promise<ConnectionRow> {
  const [rotated] = await ctx.db
    .update(connections)
    .set({ hookSecretSealed: ctx.secrets.seal(randomString(secretLength, secretAlphabet)) })
    .where(eq(connections.id, connection.id))
    .returning();
  if (!rotated) throw new Error(`connection ${connection.id} disappeared`);
  return rotated;
}

/** Compared with as much work as a real secret, so timing tells nothing about which part failed. */
const decoy = 'x'.repeat(secretLength);

/**
 * The Salesforce connection named in a hook URL, when the URL's secret is its hook secret.
 * Unknown connection, another provider, no secret yet or a wrong one: undefined.
 */
export async function connectionForHook(
  ctx: AppContext,
  connectionId: string,
  secret: string,
): Promise<ConnectionRow | undefined> {
  // A NUL would make the query itself fail; no connection ID holds one.
  const [row] = textProblem(connectionId)
    ? []
    : await ctx.db.select().from(connections).where(eq(connections.id, connectionId));
  const expected =
    row?.provider === 'salesforce' && row.hookSecretSealed
      ? ctx.secrets.open(row.hookSecretSealed)
      : undefined;
  const matches = safeEqual(expected ?? decoy, secret);
  return expected !== undefined && matches ? row : undefined;
}

export interface HookUrls {
  salesforceOutboundUrl: string | null;
  transitionUrl: string | null;
  hubspotWebhookUrl: string;
}

/**
 * Where a CRM sends events for this connection, from the public URL as configured now.
 * Salesforce URLs carry the connection's secret (null for a HubSpot connection, which would
 * never be accepted there); HubSpot has one URL for the whole app.
 */
export async function hookUrlsOf(ctx: AppContext, connection: ConnectionRow): Promise<HookUrls> {
  const base = ctx.config.publicUrl.replace(/\/+$/, '');
  const hubspotWebhookUrl = `${base}/hooks/hubspot`;
  if (connection.provider !== 'salesforce') {
    return { salesforceOutboundUrl: null, transitionUrl: null, hubspotWebhookUrl };
  }
  const outbound = `${base}/hooks/salesforce/${connection.id}/${await hookSecretOf(ctx, connection)}`;
  return { salesforceOutboundUrl: outbound, transitionUrl: `${outbound}/transition`, hubspotWebhookUrl };
}
