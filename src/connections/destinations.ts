import type { AppContext } from '../context.ts';
import { isPrivateAddress, privateAddressOf } from '../core/addresses.ts';
import { AppError } from '../core/errors.ts';
import { connectors } from '../crm/registry.ts';
import type { Provider } from '../crm/types.ts';
import { sandboxPrefixes } from '../sandbox/index.ts';

/**
 * Where a connection may send requests (and its tokens). A connection's URLs come from an
 * API caller and from the CRM's token answer, so neither is trusted: a destination is
 * allowed when it is under a base URL the operator allowed (REFSYNC_CRM_BASE_URLS, or this
 * server's own sandbox CRMs when they are mounted), or when it is an https URL of the real
 * CRM whose name resolves only to public addresses.
 */

export { isPrivateAddress };

export class DestinationRefused extends AppError {
  constructor(message: string) {
    super('destination_refused', message, { forCaller: false });
    this.name = 'DestinationRefused';
  }
}

function parse(url: string): URL | undefined {
  return URL.canParse(url) ? new URL(url) : undefined;
}

function under(url: URL, base: string): boolean {
  const allowed = parse(base);
  if (!allowed || allowed.origin !== url.origin) return false;
  const prefix = allowed.pathname.replace(/\/+$/, '');
  return url.pathname === prefix || url.pathname.startsWith(`${prefix}/`) || prefix === '';
}

function hostIsOneOf(host: string, suffixes: readonly string[]): boolean {
  return suffixes.some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
}

/** Base URLs the operator allowed, plus this server's own sandbox CRMs when mounted. */
export function allowedBases(ctx: AppContext): string[] {
  const sandboxes = ctx.sandboxPaths.map((path) => `${ctx.config.publicUrl}${path}`);
  return [...ctx.config.crmBaseUrls, ...sandboxes];
}

/**
 * Whether a connection talks to this server's own mounted sandbox of its CRM (so the
 * sandbox's admin API, and the wiring of its events, are this server's too).
 */
export function isOwnSandbox(ctx: AppContext, connection: { provider: Provider; baseUrl: string }): boolean {
  const path = sandboxPrefixes[connection.provider];
  if (!ctx.sandboxPaths.includes(path)) return false;
  const parsed = parse(connection.baseUrl);
  const own = parse(`${ctx.config.publicUrl.replace(/\/+$/, '')}${path}`);
  return (
    parsed !== undefined &&
    own !== undefined &&
    parsed.origin === own.origin &&
    parsed.pathname.replace(/\/+$/, '') === own.pathname
  );
}

/** Whether `POST /connections/{id}/sandbox-wiring` can set up the connection's CRM side. */
export function canWireSandbox(
  ctx: AppContext,
  connection: { provider: Provider; baseUrl: string },
): boolean {
  return connectors[connection.provider].hooks?.sandbox !== undefined && isOwnSandbox(ctx, connection);
}

export function isAllowListed(ctx: AppContext, url: string): boolean {
  const parsed = parse(url);
  return parsed !== undefined && allowedBases(ctx).some((base) => under(parsed, base));
}

/** Why `url` can never be a destination, without looking it up; undefined when it may be. */
function shapeProblem(
  ctx: AppContext,
  provider: Provider,
  url: string,
  role: 'base' | 'instance',
): string | undefined {
  const parsed = parse(url);
  if (!parsed) return 'is not a URL';
  if (parsed.username || parsed.password) return 'must not carry credentials';
  if (parsed.search || parsed.hash || url.includes('#') || url.includes('?')) {
    return 'must not have a query or fragment';
  }
  if (isAllowListed(ctx, url)) return undefined;
  if (parsed.protocol !== 'https:' || !hostIsOneOf(parsed.hostname, connectors[provider].realHosts[role])) {
    const name = connectors[provider].names.crm;
    return `is neither a ${name} address nor on the operator's list of allowed CRM base URLs (REFSYNC_CRM_BASE_URLS)`;
  }
  return undefined;
}

/** Resolves the host and refuses it when any address is private, loopback or link-local. */
async function assertPublic(url: string): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const refused = await privateAddressOf(host);
  if (refused !== undefined) {
    throw new DestinationRefused(`${host} resolves to ${refused}, a private or local address`);
  }
}

/**
 * Checks a URL given when a connection is created. A name that does not resolve yet is let
 * through: every call checks it again before it is used.
 */
export async function baseUrlProblem(
  ctx: AppContext,
  provider: Provider,
  url: string,
): Promise<string | undefined> {
  const problem = shapeProblem(ctx, provider, url, 'base');
  if (problem !== undefined || isAllowListed(ctx, url)) return problem;
  try {
    await assertPublic(url);
  } catch (error) {
    if (error instanceof DestinationRefused) return `is not allowed: ${error.message}`;
  }
  return undefined;
}

/** Before each call: the URL must still be allowed, and resolve to public addresses. */
export async function assertDestination(
  ctx: AppContext,
  provider: Provider,
  url: string,
  role: 'base' | 'instance',
): Promise<void> {
  const problem = shapeProblem(ctx, provider, url, role);
  if (problem !== undefined) throw new DestinationRefused(`${url} ${problem}`);
  if (!isAllowListed(ctx, url)) await assertPublic(url);
}
