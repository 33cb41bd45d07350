import { type Pacer, Pacers } from '../pacer.ts';
import { RATE_LIMIT, SEARCH_RATE_LIMIT } from './facts.ts';

/**
 * Every API call of a portal goes through that portal's pacers (src/crm/pacer.ts), so a
 * backlog is pushed at the portal's limit, not into 429s: the rolling window for all calls,
 * and the search endpoints' own per-second limit for searches. The limit the portal reports
 * in `X-HubSpot-RateLimit-*` headers replaces the default as soon as one answer carries it.
 *
 * The client's own middleware option is not applied to calls made without per-call options,
 * so the API objects are wrapped instead: each method `m` is called as its `mWithHttpInfo`
 * twin, which answers the headers along with the data.
 */

const all = new Pacers(RATE_LIMIT);
// The search limit is per second and answers carry no headers for it: used in full, with a
// small margin.
const searches = new Pacers({ ...SEARCH_RATE_LIMIT, share: 1 });

interface PortalPacers {
  all: Pacer;
  search: Pacer;
}

/** The pacers of one portal: the account ID, on the API base it is reached at. */
export function portalPacers(baseUrl: string, accountId: string): PortalPacers {
  const key = `${baseUrl.replace(/\/+$/, '')}|${accountId}`;
  return { all: all.of(key), search: searches.of(key) };
}

const numberOf = (value: unknown): number | undefined => {
  if (typeof value !== 'string' || value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
};

function observe(pacers: PortalPacers, status: number | undefined, headers: unknown): void {
  if (typeof headers !== 'object' || headers === null) return;
  const read = (name: string) => {
    for (const [key, value] of Object.entries(headers))
      if (key.toLowerCase() === name) return numberOf(value);
    return undefined;
  };
  const intervalMs = read('x-hubspot-ratelimit-interval-milliseconds');
  pacers.all.observe({
    max: read('x-hubspot-ratelimit-max'),
    intervalMs,
    remaining: read('x-hubspot-ratelimit-remaining'),
  });
  if (status === 429) pacers.all.blocked(intervalMs ?? RATE_LIMIT.intervalMs);
}

type Method = (...args: unknown[]) => Promise<unknown>;

function pacedCall(pacers: PortalPacers, target: Record<string, unknown>, name: string, search: boolean) {
  const twin = target[`${name}WithHttpInfo`];
  const plain = target[name] as Method;
  return async (...args: unknown[]) => {
    const searching = search ? await pacers.search.take() : undefined;
    const call = await pacers.all.take();
    try {
      if (typeof twin !== 'function') return await Reflect.apply(plain, target, args);
      const info = (await Reflect.apply(twin as Method, target, args)) as {
        httpStatusCode: number;
        headers: unknown;
        data: unknown;
      };
      observe(pacers, info.httpStatusCode, info.headers);
      return info.data;
    } catch (error) {
      const failure = error as { code?: unknown; headers?: unknown };
      observe(pacers, typeof failure.code === 'number' ? failure.code : undefined, failure.headers);
      throw error;
    } finally {
      call.done();
      searching?.done();
    }
  };
}

/** `api` (an API object of the client, or a group of them) with every call paced for the portal. */
export function paced<T extends object>(api: T, pacers: PortalPacers): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(api, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof name !== 'string') return value;
      const known = wrapped.get(name);
      if (known !== undefined) return known;
      let made: unknown = value;
      if (typeof value === 'function') {
        made = pacedCall(pacers, target as Record<string, unknown>, name, /^doSearch$/.test(name));
      } else if (typeof value === 'object' && value !== null && /Api$|^[a-z]+$/.test(name)) {
        made = paced(value, pacers);
      }
      wrapped.set(name, made);
      return made;
    },
  });
}
