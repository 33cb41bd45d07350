import type { z } from 'zod';
import { type ConnectionRow, findConnection } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { safeEqual } from '../../core/crypto.ts';
import { randomString } from '../../core/ids.ts';
import { textProblem } from '../../core/outside-input.ts';
import { connectors, providers } from '../../crm/registry.ts';
import type { Provider } from '../../crm/types.ts';
import { sealedHookSecretOf, storeHookSecret } from '../connection-state.ts';

const secretAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 40 base62 characters: about 238 bits, and safe in a URL path as is. */
const secretLength = 40;

/**
 * The secret in a connection's hook URLs (Salesforce's carry one), made on first use. Two first uses at
 * once both end up with the one that was written first.
 */
export async function hookSecretOf(ctx: AppContext, connection: ConnectionRow): Promise<string> {
  const sealed = await sealedHookSecretOf(ctx.db, connection.id);
  if (sealed !== null) return ctx.secrets.open(sealed);
  const made = ctx.secrets.seal(randomString(secretLength, secretAlphabet));
  return ctx.secrets.open(await storeHookSecret(ctx.db, connection, made, { onlyIfNone: true }));
}

/** A new secret for the connection's hook URLs; the old URLs stop working at once. */
export async function rotateHookSecret(ctx: AppContext, connection: ConnectionRow): Promise<ConnectionRow> {
  const sealed = ctx.secrets.seal(randomString(secretLength, secretAlphabet));
  await storeHookSecret(ctx.db, connection, sealed, { onlyIfNone: false });
  return connection;
}

/** Compared with as much work as a real secret, so timing tells nothing about which part failed. */
const decoy = 'x'.repeat(secretLength);

/**
 * The connection of `provider` named in a hook URL, when the URL's secret is its hook secret.
 * Unknown connection, another provider, no secret yet or a wrong one: undefined.
 */
export async function connectionForHook(
  ctx: AppContext,
  provider: Provider,
  connectionId: string,
  secret: string,
): Promise<ConnectionRow | undefined> {
  // A NUL would make the query itself fail; no connection ID holds one.
  const row = textProblem(connectionId) ? undefined : await findConnection(ctx.db, connectionId);
  const sealed = row?.provider === provider ? await sealedHookSecretOf(ctx.db, row.id) : null;
  const expected = sealed === null ? undefined : ctx.secrets.open(sealed);
  const matches = safeEqual(expected ?? decoy, secret);
  return expected !== undefined && matches ? row : undefined;
}

/** The fields of `GET /connections/{id}/hooks`: every CRM's, in registry order. */
export const hookUrlFields = Object.assign(
  {},
  ...providers.map((provider) => connectors[provider].hooks?.urlFields ?? {}),
) as Record<string, z.ZodType<string | null>>;

/**
 * Where CRMs send events for this connection, from the public URL as configured now: each
 * CRM's hooks say their URLs (a secret in them is made on first use).
 */
export async function hookUrlsOf(
  ctx: AppContext,
  connection: ConnectionRow,
): Promise<Record<string, string | null>> {
  const base = ctx.config.publicUrl.replace(/\/+$/, '');
  const secret = () => hookSecretOf(ctx, connection);
  const urls: Record<string, string | null> = {};
  for (const provider of providers) {
    Object.assign(urls, await connectors[provider].hooks?.urlsOf(base, connection, secret));
  }
  return urls;
}
