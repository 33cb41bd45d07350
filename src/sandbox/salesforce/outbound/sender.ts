import { sfDateTime } from '../datetime.ts';
import type { OrgRegistry } from '../org-registry.ts';
import {
  DELIVERY_LOG_LIMIT,
  type DeliveryLogEntry,
  type OrgState,
  type OutboundRule,
  type QueuedNotification,
} from '../state.ts';
import { isPositiveAck } from './ack.ts';
import { notificationsEnvelope } from './envelope.ts';

/** Notifications one SOAP message may carry. */
const MAX_PER_MESSAGE = 100;
/** Salesforce waits 60 s for an answer; scaled down with the org's time scale, never below 2 s. */
const REQUEST_TIMEOUT_MS = 60_000;
const MIN_TIMEOUT_MS = 2_000;

export interface SenderOptions {
  registry: OrgRegistry;
  /** Absolute sandbox base URL for EnterpriseUrl/PartnerUrl (known once a request was seen). */
  baseUrl: () => string;
  /** How often due notifications are looked for. Default 50 ms. */
  tickMs?: number;
  now?: () => number;
}

/** Delay before attempt `attempts + 1`: exponential from the base, capped, then scaled. */
export function retryDelayMs(org: OrgState, attempts: number): number {
  const { retryBaseSeconds, retryCapSeconds, timeScale } = org.outbound.settings;
  const seconds = Math.min(retryCapSeconds, retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
  return seconds * 1000 * timeScale;
}

/**
 * The background process that delivers queued outbound notifications.
 *
 * A notification is queued by a matching write, then: due → sent in a message (grouped
 * per rule, ≤100) → acked (removed) or failed (attempts+1, next attempt after an
 * exponential delay capped at `retryCapSeconds`). One older than `giveUpAfterSeconds` is
 * dropped. Every step is written to the org's delivery log.
 */
export class OutboundSender {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private readonly now: () => number;

  constructor(private readonly options: SenderOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 50);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const controller of this.aborts) controller.abort();
    await Promise.allSettled([...this.pending]);
  }

  tick(): void {
    for (const org of this.options.registry.list()) this.tickOrg(org);
  }

  private tickOrg(org: OrgState): void {
    if (org.outbound.queue.length === 0) return;
    const now = this.now();
    const { settings } = org.outbound;
    const windowMs = settings.giveUpAfterSeconds * 1000 * settings.timeScale;
    const expired = org.outbound.queue.filter((n) => !this.inFlight.has(n.id) && now - n.queuedAt > windowMs);
    if (expired.length > 0) {
      const gone = new Set(expired.map((n) => n.id));
      org.outbound.queue = org.outbound.queue.filter((n) => !gone.has(n.id));
      for (const n of expired) {
        const rule = org.outbound.rules.find((r) => r.id === n.ruleId);
        this.log(org, {
          at: sfDateTime(now),
          ruleId: n.ruleId,
          endpointUrl: rule?.endpointUrl ?? '',
          notificationIds: [n.id],
          recordIds: [n.recordId],
          attempt: n.attempts,
          outcome: 'dropped',
          httpStatus: null,
          error: 'not delivered within the give-up window',
          durationMs: 0,
          duplicate: false,
        });
      }
      this.options.registry.changed();
    }
    const due = org.outbound.queue.filter((n) => n.nextAttemptAt <= now && !this.inFlight.has(n.id));
    const byRule = new Map<string, QueuedNotification[]>();
    for (const n of due) byRule.set(n.ruleId, [...(byRule.get(n.ruleId) ?? []), n]);
    for (const [ruleId, list] of byRule) {
      const rule = org.outbound.rules.find((r) => r.id === ruleId);
      if (!rule) {
        // The rule was deleted: its queued notifications go with it.
        org.outbound.queue = org.outbound.queue.filter((n) => n.ruleId !== ruleId);
        this.options.registry.changed();
        continue;
      }
      for (let i = 0; i < list.length; i += MAX_PER_MESSAGE) {
        this.track(this.deliver(org, rule, list.slice(i, i + MAX_PER_MESSAGE)));
      }
    }
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async post(
    org: OrgState,
    rule: OutboundRule,
    body: string,
  ): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    const controller = new AbortController();
    this.aborts.add(controller);
    const timeout = Math.max(
      MIN_TIMEOUT_MS,
      REQUEST_TIMEOUT_MS * Math.min(1, org.outbound.settings.timeScale),
    );
    const timer = setTimeout(() => controller.abort(), timeout);
    try {
      const response = await fetch(rule.endpointUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
        body,
        signal: controller.signal,
      });
      const text = await response.text();
      const ok = response.status >= 200 && response.status < 300 && isPositiveAck(text);
      return {
        ok,
        status: response.status,
        error: ok ? null : `no positive acknowledgement (HTTP ${response.status})`,
      };
    } catch (error) {
      return { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
      this.aborts.delete(controller);
    }
  }

  private async deliver(org: OrgState, rule: OutboundRule, batch: QueuedNotification[]): Promise<void> {
    for (const n of batch) this.inFlight.add(n.id);
    try {
      const body = notificationsEnvelope(org, rule, batch, this.options.baseUrl());
      const started = this.now();
      const result = await this.post(org, rule, body);
      const finished = this.now();
      const attempt = (batch[0]?.attempts ?? 0) + 1;
      const entry = (duplicate: boolean, r: typeof result, durationMs: number): DeliveryLogEntry => ({
        at: sfDateTime(finished),
        ruleId: rule.id,
        endpointUrl: rule.endpointUrl,
        notificationIds: batch.map((n) => n.id),
        recordIds: batch.map((n) => n.recordId),
        attempt,
        outcome: r.ok ? 'acked' : 'failed',
        httpStatus: r.status,
        error: r.error,
        durationMs,
        duplicate,
      });
      this.log(org, entry(false, result, finished - started));
      const ids = new Set(batch.map((n) => n.id));
      if (result.ok) {
        org.outbound.queue = org.outbound.queue.filter((n) => !ids.has(n.id));
        if (org.outbound.settings.duplicateDelivery) {
          // At-least-once delivery made visible: the same message, same notification IDs, again.
          const again = this.now();
          const second = await this.post(org, rule, body);
          this.log(org, entry(true, second, this.now() - again));
        }
      } else {
        for (const n of org.outbound.queue) {
          if (!ids.has(n.id)) continue;
          n.attempts += 1;
          n.nextAttemptAt = finished + retryDelayMs(org, n.attempts);
        }
      }
      this.options.registry.changed();
    } finally {
      for (const n of batch) this.inFlight.delete(n.id);
    }
  }

  private log(org: OrgState, entry: DeliveryLogEntry): void {
    org.outbound.log.push(entry);
    if (org.outbound.log.length > DELIVERY_LOG_LIMIT) {
      org.outbound.log.splice(0, org.outbound.log.length - DELIVERY_LOG_LIMIT);
    }
  }
}
