import { setTimeout as sleep } from 'node:timers/promises';
import { errorBody, HubspotError, tooManyRequests } from './errors.ts';
import type { PortalState, StateKeeper } from './state.ts';

const SERVER_ERRORS: Record<500 | 503, { category: string; message: string }> = {
  500: { category: 'INTERNAL_ERROR', message: 'internal error' },
  503: { category: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable' },
};

function serverError(status: 500 | 503): HubspotError {
  const { category, message } = SERVER_ERRORS[status];
  return new HubspotError(status, errorBody(category, message));
}

/**
 * Applies a portal's fault knobs to one call, in the order a caller would meet them on a
 * real network: an outage first, then latency, then forced 429s and random server errors.
 */
export async function applyFaults(keeper: StateKeeper, portal: PortalState): Promise<void> {
  const { faults } = portal;
  if (faults.outageUntil !== null) {
    if (Date.now() < faults.outageUntil) throw serverError(503);
    faults.outageUntil = null;
    keeper.changed();
  }
  if (faults.latencyMs > 0) await sleep(faults.latencyMs);
  if (faults.forced429Remaining > 0) {
    faults.forced429Remaining -= 1;
    keeper.changed();
    throw tooManyRequests('TEN_SECONDLY_ROLLING', portal.portalId);
  }
  if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
    const statuses = faults.errorStatuses.length > 0 ? faults.errorStatuses : [500 as const];
    const status = statuses[Math.floor(Math.random() * statuses.length)] ?? 500;
    throw serverError(status);
  }
}

/** Makes every OAuth access token of the portal expire now (refresh tokens stay valid). */
export function expireTokensNow(keeper: StateKeeper, portal: PortalState): number {
  const now = Date.now();
  let count = 0;
  for (const token of portal.accessTokens) {
    if (token.expiresAt > now) {
      token.expiresAt = now - 1000;
      count += 1;
    }
  }
  keeper.changed();
  return count;
}
