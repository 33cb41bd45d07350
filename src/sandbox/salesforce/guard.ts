import { setTimeout as sleep } from 'node:timers/promises';
import { sfDateTime } from './datetime.ts';
import { type SfError, sfErrors } from './errors.ts';
import type { OrgRegistry } from './org-registry.ts';
import type { OrgState } from './state.ts';

/** `Authorization: Bearer <token>` (or the older `OAuth <token>` form). */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const found = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(header.trim());
  return found?.[1] ?? null;
}

export type SessionCheck = { ok: true; org: OrgState } | { ok: false; error: SfError; org: OrgState | null };

/**
 * Resolves a session to its org. The org is found even from an expired token, so an org
 * in outage answers 503 before it would answer 401.
 */
export function checkSession(registry: OrgRegistry, header: string | undefined, now: number): SessionCheck {
  const token = bearerToken(header);
  const org = token ? registry.byAccessToken(token) : undefined;
  if (!token || !org) return { ok: false, error: sfErrors.invalidSession(), org: null };
  const outage = outageError(org, now);
  if (outage) return { ok: false, error: outage, org };
  const session = org.auth.accessTokens[token];
  if (!session || session.expiresAt <= now) {
    delete org.auth.accessTokens[token];
    registry.changed();
    return { ok: false, error: sfErrors.invalidSession(), org };
  }
  return { ok: true, org };
}

export function outageError(org: OrgState, now: number): SfError | null {
  return org.faults.outageUntil !== null && org.faults.outageUntil > now
    ? sfErrors.serverUnavailable()
    : null;
}

/** Added latency, then forced failures, then the random error rate. */
export async function injectedFault(
  org: OrgState,
  random: () => number = Math.random,
): Promise<SfError | null> {
  const { faults } = org;
  if (faults.latencyMs > 0) await sleep(faults.latencyMs);
  let status: number | null = null;
  if (faults.forcedFailures > 0) {
    faults.forcedFailures -= 1;
    status = faults.forcedStatus;
  } else if (faults.errorRate > 0 && random() < faults.errorRate) {
    const choices = faults.errorStatuses.length > 0 ? faults.errorStatuses : [500];
    status = choices[Math.floor(random() * choices.length)] ?? 500;
  }
  if (status === null) return null;
  return status === 503 ? sfErrors.serverUnavailable() : sfErrors.unknownException();
}

/** Counts one API request against the daily limit, which resets at midnight UTC. */
export function chargeApiRequest(org: OrgState, now: number): SfError | null {
  const day = sfDateTime(now).slice(0, 10);
  if (org.usage.day !== day) org.usage = { day, count: 0 };
  if (org.usage.count >= org.limits.dailyApiRequests) return sfErrors.requestLimit();
  org.usage.count += 1;
  return null;
}

export function limitInfoHeader(org: OrgState): string {
  return `api-usage=${org.usage.count}/${org.limits.dailyApiRequests}`;
}
