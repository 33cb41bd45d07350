import { randomUUID } from 'node:crypto';
import { associationTypeById, DEFAULTS, SUBSCRIPTION_PREFIX } from './facts.ts';
import type { ChangeSource, RecordChange } from './records.ts';
import { signatureHeaders } from './signatures.ts';
import type { DeliveryLogEntry, PendingBatch, PortalState, StateKeeper, WebhookEvent } from './state.ts';

/**
 * Webhook delivery. A change becomes one event per matching subscription and waits in the
 * portal's queue for `gatherMs`, so a burst leaves as one request; the queue is then cut
 * into batches of up to `batchSize` events. A batch is POSTed as a JSON array, signed
 * afresh on each attempt. Its life:
 *
 *   pending --2xx--> delivered (removed)
 *   pending --error, timeout, 429, 5xx--> pending again after 2 min x 2^attempt x timeScale
 *   pending --400/401/403/404/405, or retries used up--> gave_up (removed)
 *
 * Queue and pending batches are part of the saved state, so a restart resumes delivery.
 */

const NOT_RETRIED = new Set([400, 401, 403, 404, 405]);
const USER_AGENT = 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon-executor';

export class WebhookDispatcher {
  private readonly gatherTimers = new Map<number, NodeJS.Timeout>();
  private readonly wakeTimers = new Map<number, NodeJS.Timeout>();
  private readonly inflight = new Map<string, AbortController>();
  private closed = false;

  constructor(private readonly keeper: StateKeeper) {}

  /** Resumes delivery of what a previous run left queued or pending. */
  start(): void {
    for (const portal of this.keeper.state.portals) {
      if (portal.queuedEvents.length > 0) this.scheduleGather(portal);
      this.pump(portal);
    }
  }

  close(): void {
    this.closed = true;
    for (const timer of [...this.gatherTimers.values(), ...this.wakeTimers.values()]) clearTimeout(timer);
    this.gatherTimers.clear();
    this.wakeTimers.clear();
    for (const controller of this.inflight.values()) controller.abort();
    this.inflight.clear();
  }

  readonly onChange = (portal: PortalState, changes: RecordChange[], source: ChangeSource): void => {
    if (portal.webhooks.targetUrl === null) return;
    const occurredAt = Date.now();
    let added = 0;
    for (const change of changes) {
      const prefix = SUBSCRIPTION_PREFIX[change.type];
      for (const subscription of portal.subscriptions) {
        if (!subscription.active) continue;
        if (subscription.subscriptionType !== `${prefix}.${change.kind}`) continue;
        if (change.kind === 'propertyChange' && subscription.propertyName !== change.propertyName) continue;
        const event: WebhookEvent = {
          eventId: portal.nextEventId,
          subscriptionId: subscription.id,
          portalId: portal.portalId,
          appId: portal.appId,
          occurredAt,
          subscriptionType: subscription.subscriptionType,
          attemptNumber: 0,
          objectId: Number(change.objectId),
          changeSource: source.changeSource,
          ...(source.sourceId === undefined ? {} : { sourceId: source.sourceId }),
          ...eventDetails(change),
        };
        portal.nextEventId += 1;
        portal.queuedEvents.push(event);
        added += 1;
      }
    }
    if (added === 0) return;
    this.keeper.changed();
    this.scheduleGather(portal);
  };

  private scheduleGather(portal: PortalState): void {
    if (this.closed || this.gatherTimers.has(portal.portalId)) return;
    const timer = setTimeout(() => {
      this.gatherTimers.delete(portal.portalId);
      this.gather(portal);
    }, portal.webhooks.gatherMs);
    this.gatherTimers.set(portal.portalId, timer);
  }

  private gather(portal: PortalState): void {
    const size = Math.max(1, portal.webhooks.batchSize);
    const now = Date.now();
    while (portal.queuedEvents.length > 0) {
      const events = portal.queuedEvents.splice(0, size);
      portal.pendingBatches.push({ id: randomUUID(), events, attemptNumber: 0, nextAttemptAt: now });
    }
    this.keeper.changed();
    this.pump(portal);
  }

  /** Sends every due batch the concurrency limit allows, then sleeps until the next one is due. */
  private pump(portal: PortalState): void {
    if (this.closed) return;
    const now = Date.now();
    const limit = Math.max(1, portal.webhooks.maxConcurrentRequests);
    let running = portal.pendingBatches.filter((batch) => this.inflight.has(batch.id)).length;
    for (const batch of portal.pendingBatches) {
      if (running >= limit) break;
      if (this.inflight.has(batch.id) || batch.nextAttemptAt > now) continue;
      running += 1;
      void this.send(portal, batch);
    }
    const waiting = portal.pendingBatches.filter((batch) => !this.inflight.has(batch.id));
    const wake = this.wakeTimers.get(portal.portalId);
    if (wake !== undefined) clearTimeout(wake);
    this.wakeTimers.delete(portal.portalId);
    if (waiting.length === 0 || running >= limit) return;
    const next = Math.min(...waiting.map((batch) => batch.nextAttemptAt));
    const timer = setTimeout(
      () => {
        this.wakeTimers.delete(portal.portalId);
        this.pump(portal);
      },
      Math.max(0, next - now),
    );
    this.wakeTimers.set(portal.portalId, timer);
  }

  private async send(portal: PortalState, batch: PendingBatch): Promise<void> {
    const url = portal.webhooks.targetUrl;
    if (url === null) {
      this.finish(portal, batch);
      return;
    }
    const controller = new AbortController();
    this.inflight.set(batch.id, controller);
    const timeout = setTimeout(() => controller.abort(), portal.webhooks.timeoutMs);
    const body = JSON.stringify(
      batch.events.map((event) => ({ ...event, attemptNumber: batch.attemptNumber })),
    );
    const timestamp = Date.now();
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      ...signatureHeaders({
        versions: portal.webhooks.signatureVersions,
        clientSecret: portal.clientSecret,
        method: 'POST',
        url,
        body,
        timestamp,
      }),
    };
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(url, { method: 'POST', headers, body, signal: controller.signal });
      status = response.status;
      await response.arrayBuffer();
    } catch (caught) {
      error = controller.signal.aborted
        ? `timed out after ${portal.webhooks.timeoutMs} ms`
        : describe(caught);
    } finally {
      clearTimeout(timeout);
      this.inflight.delete(batch.id);
    }
    // Closing aborts in-flight requests; the batch stays pending for the next run.
    if (this.closed) return;
    this.record(portal, batch, url, status, error, Date.now() - timestamp);
    this.pump(portal);
  }

  private record(
    portal: PortalState,
    batch: PendingBatch,
    url: string,
    status: number | null,
    error: string | null,
    durationMs: number,
  ): void {
    const delivered = status !== null && status >= 200 && status < 300;
    const retryable = !delivered && (status === null || !NOT_RETRIED.has(status));
    const canRetry = retryable && batch.attemptNumber < portal.webhooks.maxRetries;
    const entry: DeliveryLogEntry = {
      batchId: batch.id,
      at: new Date().toISOString(),
      url,
      attemptNumber: batch.attemptNumber,
      eventIds: batch.events.map((event) => event.eventId),
      status,
      error,
      durationMs,
      outcome: delivered ? 'delivered' : canRetry ? 'retrying' : 'gave_up',
      nextAttemptAt: null,
    };
    if (canRetry) {
      const delay = DEFAULTS.webhookFirstRetryMs * 2 ** batch.attemptNumber * portal.webhooks.retryTimeScale;
      batch.attemptNumber += 1;
      batch.nextAttemptAt = Date.now() + Math.round(delay);
      entry.nextAttemptAt = new Date(batch.nextAttemptAt).toISOString();
    } else {
      this.finish(portal, batch);
    }
    portal.deliveries.push(entry);
    if (portal.deliveries.length > DEFAULTS.deliveryLogSize) {
      portal.deliveries.splice(0, portal.deliveries.length - DEFAULTS.deliveryLogSize);
    }
    this.keeper.changed();
  }

  private finish(portal: PortalState, batch: PendingBatch): void {
    portal.pendingBatches = portal.pendingBatches.filter((candidate) => candidate.id !== batch.id);
    this.keeper.changed();
  }
}

function eventDetails(change: RecordChange): Partial<WebhookEvent> {
  switch (change.kind) {
    case 'creation':
      return { changeFlag: 'NEW' };
    case 'deletion':
      return { changeFlag: 'DELETED' };
    case 'propertyChange':
      return { propertyName: change.propertyName, propertyValue: change.propertyValue };
    case 'associationChange': {
      const fact = associationTypeById(change.typeId);
      return {
        fromObjectId: Number(change.objectId),
        toObjectId: Number(change.toId),
        associationType:
          `${SUBSCRIPTION_PREFIX[change.type]}_TO_${SUBSCRIPTION_PREFIX[change.toType]}`.toUpperCase(),
        associationRemoved: change.removed,
        isPrimaryAssociation: fact?.label === 'Primary',
      };
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
