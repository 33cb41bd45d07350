import type { PortalState } from './state.ts';

export interface RateLimitVerdict {
  allowed: boolean;
  policy: 'TEN_SECONDLY_ROLLING' | 'DAILY' | null;
  headers: Record<string, string>;
}

/**
 * HubSpot's limits per app and portal: a rolling window (100 calls per 10 s by default)
 * and a daily count. The sandbox models one app per portal, so the key is the portal.
 * Counts live in memory only: a restart starting a fresh window is harmless.
 */
export class RateLimiter {
  private readonly windows = new Map<number, number[]>();
  private readonly daily = new Map<number, { day: string; count: number }>();

  check(portal: PortalState, now: number, privateApp: boolean): RateLimitVerdict {
    const { rateLimitMax: max, rateLimitIntervalMs: interval, dailyLimit } = portal.settings;
    const calls = (this.windows.get(portal.portalId) ?? []).filter((at) => at > now - interval);
    this.windows.set(portal.portalId, calls);
    const day = new Date(now).toISOString().slice(0, 10);
    const today = this.daily.get(portal.portalId);
    const dayCount = today?.day === day ? today.count : 0;

    const secondlyAllowed = calls.length < max;
    const dailyAllowed = dayCount < dailyLimit;
    const allowed = secondlyAllowed && dailyAllowed;
    if (allowed) {
      calls.push(now);
      this.daily.set(portal.portalId, { day, count: dayCount + 1 });
    }
    const headers: Record<string, string> = {
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(interval),
      'X-HubSpot-RateLimit-Max': String(max),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, max - calls.length)),
    };
    // HubSpot leaves the daily headers out of OAuth-authorized calls.
    if (privateApp) {
      headers['X-HubSpot-RateLimit-Daily'] = String(dailyLimit);
      headers['X-HubSpot-RateLimit-Daily-Remaining'] = String(
        Math.max(0, dailyLimit - (allowed ? dayCount + 1 : dayCount)),
      );
    }
    const policy = allowed ? null : secondlyAllowed ? 'DAILY' : 'TEN_SECONDLY_ROLLING';
    return { allowed, policy, headers };
  }

  forget(portalId: number): void {
    this.windows.delete(portalId);
    this.daily.delete(portalId);
  }
}
