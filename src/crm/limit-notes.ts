import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which CRM rate-limit refusals happened during one piece of work with a connection. A
 * refusal is often ridden out where it happens (a client's own retry, a short inline wait),
 * so it never reaches the caller as an error; the connection's health still wants to know.
 * `withCrm` runs each call inside a watch, and every rate-limit `CrmError` made in it is noted.
 */
export interface LimitNote {
  /** The CRM's code: `TEN_SECONDLY_ROLLING`, `REQUEST_LIMIT_EXCEEDED`, `HTTP_429`, ... */
  code: string;
  /** What the CRM said. */
  message: string;
}

export interface LimitWatch {
  /** The last refusal noted, if any. */
  seen: LimitNote | undefined;
}

const watches = new AsyncLocalStorage<LimitWatch>();

/** Runs `work` with every rate-limit refusal made inside it noted on `watch`. */
export function watchingLimits<T>(watch: LimitWatch, work: () => Promise<T>): Promise<T> {
  return watches.run(watch, work);
}

/** Notes a refusal on the watch of the work under way (none outside a watch). */
export function noteRateLimited(note: LimitNote): void {
  const watch = watches.getStore();
  if (watch) watch.seen = note;
}
