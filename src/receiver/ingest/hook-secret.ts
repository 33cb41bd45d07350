import { eq } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { safeEqual } from '../../core/crypto.ts';
import { randomString } from '../../core/ids.ts';
import { textProblem } from '../../core/outside-input.ts';
import { connections } from '../../db/schema.ts';
import { sealedHookSecretOf, storeHookSecret } from '../connection-state.ts';

type ConnectionRow = typeof connections.$inferSelect;

const secretAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 40 base62 characters: about 238 bits, and safe in a URL path as is. */
const secretLength = 40;

/**
 * The secret in a connection's Salesforce hook URLs, made on first use. Two first uses at
 * once both end up with the one that was written first.
 */
export async function hookSecretOf(ctx: AppContext, connection: ConnectionRow): Promise<string> {
  const sealed = await sealedHookSecretOf(ctx.db, connection.id);
  if (sealed !== null) return ctx.secrets.open(sealed);
  const made = ctx.secrets.seal(randomString(secretLength, secretAlphabet));
  return ctx.secrets.open(await storeHookSecret(ctx.db, connection, made, { onlyIfNone: true }));
}

/** A new secret for the connection's Salesforce hook URLs; the old URLs stop working at once. */
export async function rotateHookSecret(ctx: AppContext, connection: ConnectionRow): Promise<ConnectionRow> {
  const sealed = ctx.secrets.seal(randomString(secretLength, secretAlphabet));
  await storeHookSecret(ctx.db, connection, sealed, { onlyIfNone: false });
  return connection;
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
  const sealed = row?.provider === 'salesforce' ? await sealedHookSecretOf(ctx.db, row.id) : null;
  const expected = sealed === null ? undefined : ctx.secrets.open(sealed);
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
