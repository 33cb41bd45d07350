import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULTS, OBJECT_TYPES, type ObjectType } from './facts.ts';
import type { PortalSettings, PortalState, StateKeeper, StoredRecord } from './state.ts';

export interface NewPortal {
  name?: string | undefined;
  rateLimitMax?: number | undefined;
  rateLimitIntervalMs?: number | undefined;
  dailyLimit?: number | undefined;
  tokenLifetimeSeconds?: number | undefined;
  redirectUris?: string[] | undefined;
}

function perType<T>(make: () => T): Record<ObjectType, T> {
  const entries = OBJECT_TYPES.map((type) => [type, make()] as const);
  return Object.fromEntries(entries) as Record<ObjectType, T>;
}

export function createPortal(keeper: StateKeeper, input: NewPortal): PortalState {
  const portalId = keeper.state.nextPortalId;
  keeper.state.nextPortalId += 1;
  const settings: PortalSettings = {
    rateLimitMax: input.rateLimitMax ?? DEFAULTS.rateLimitMax,
    rateLimitIntervalMs: input.rateLimitIntervalMs ?? DEFAULTS.rateLimitIntervalMs,
    dailyLimit: input.dailyLimit ?? DEFAULTS.dailyLimit,
    tokenLifetimeSeconds: input.tokenLifetimeSeconds ?? DEFAULTS.tokenLifetimeSeconds,
    redirectUris: input.redirectUris ?? [],
  };
  const portal: PortalState = {
    portalId,
    name: input.name ?? `Sandbox portal ${portalId}`,
    hubDomain: `sandbox-${portalId}.hubspot.local`,
    userId: 1_000_000 + (portalId % 1_000_000),
    userEmail: `owner@sandbox-${portalId}.hubspot.local`,
    appId: 2_000_000 + (portalId % 1_000_000),
    clientId: randomUUID(),
    clientSecret: randomUUID(),
    developerApiKey: randomUUID(),
    privateAppToken: `pat-na1-${randomUUID()}`,
    createdAt: new Date().toISOString(),
    settings,
    faults: {
      latencyMs: 0,
      errorRate: 0,
      errorStatuses: [500, 503],
      forced429Remaining: 0,
      outageUntil: null,
    },
    webhooks: {
      targetUrl: null,
      signatureVersions: ['v1', 'v3'],
      batchSize: DEFAULTS.webhookBatchSize,
      maxRetries: DEFAULTS.webhookMaxRetries,
      retryTimeScale: 1,
      timeoutMs: DEFAULTS.webhookTimeoutMs,
      maxConcurrentRequests: DEFAULTS.webhookMaxConcurrent,
      gatherMs: DEFAULTS.webhookGatherMs,
    },
    subscriptions: [],
    nextSubscriptionId: 1,
    nextEventId: 1,
    queuedEvents: [],
    pendingBatches: [],
    deliveries: [],
    authCodes: [],
    accessTokens: [],
    refreshTokens: [],
    nextObjectId: 101,
    records: perType<Record<string, StoredRecord>>(() => ({})),
    customProperties: perType(() => []),
    associations: [],
  };
  keeper.state.portals.push(portal);
  keeper.changed();
  return portal;
}

/** OAuth tokens are opaque strings of about HubSpot's length; the prefix names the region. */
export function newAccessToken(): string {
  return `CN${randomBytes(96).toString('base64url')}`;
}

export function newRefreshToken(): string {
  return `na1-${randomUUID()}-${randomUUID().slice(0, 13)}`;
}

export function newAuthCode(): string {
  return `na1-${randomUUID()}`;
}

/**
 * What the admin API shows of a portal: everything but records and secrets. The client
 * secret (which also signs webhooks), developer API key and private-app token are shown only
 * in the answer that creates the portal.
 */
export function portalSummary(portal: PortalState) {
  return {
    portalId: portal.portalId,
    name: portal.name,
    hubDomain: portal.hubDomain,
    appId: portal.appId,
    clientId: portal.clientId,
    createdAt: portal.createdAt,
    settings: portal.settings,
    faults: portal.faults,
    webhooks: portal.webhooks,
    subscriptions: portal.subscriptions,
    counts: {
      contacts: Object.keys(portal.records.contacts).length,
      companies: Object.keys(portal.records.companies).length,
      deals: Object.keys(portal.records.deals).length,
      pendingWebhookBatches: portal.pendingBatches.length,
    },
  };
}
