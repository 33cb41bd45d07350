import { JsonStateKeeper } from '../json-state.ts';
import type { SandboxStore } from '../store.ts';
import type { ObjectType, PropertyDefinition, SubscriptionType } from './facts.ts';

/**
 * Everything the HubSpot sandbox keeps between restarts: one entry per portal, each with
 * its own credentials, records, settings and webhook outbox. Held in memory, written whole
 * through the `SandboxStore` after every change.
 */
export interface HubspotState {
  version: 1;
  nextPortalId: number;
  portals: PortalState[];
}

export interface StoredRecord {
  id: string;
  /** Every value is a string, as HubSpot returns them; a cleared property is absent. */
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

/** A stored value; own keys only, so a name like `constructor` never reads Object.prototype. */
export function propertyOf(record: StoredRecord, name: string): string | undefined {
  return Object.hasOwn(record.properties, name) ? record.properties[name] : undefined;
}

export interface AssociationEdge {
  fromType: ObjectType;
  fromId: string;
  toType: ObjectType;
  toId: string;
  typeId: number;
}

export interface PortalSettings {
  rateLimitMax: number;
  rateLimitIntervalMs: number;
  dailyLimit: number;
  tokenLifetimeSeconds: number;
  /** Redirect URIs the OAuth app accepts; empty accepts any. */
  redirectUris: string[];
}

export interface PortalFaults {
  latencyMs: number;
  /** Share of API calls (0..1) answered with one of `errorStatuses`. */
  errorRate: number;
  errorStatuses: Array<500 | 503>;
  /** The next N API calls answer 429 TEN_SECONDLY_ROLLING. */
  forced429Remaining: number;
  /** ms since epoch; until then every non-admin call answers 503. */
  outageUntil: number | null;
}

export type SignatureVersion = 'v1' | 'v2' | 'v3';

export interface WebhookSubscription {
  id: number;
  subscriptionType: SubscriptionType;
  /** Only for `*.propertyChange`. */
  propertyName: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookSettings {
  targetUrl: string | null;
  signatureVersions: SignatureVersion[];
  batchSize: number;
  maxRetries: number;
  /** Multiplies every retry delay: 1 is HubSpot's schedule, 0.001 turns minutes into ms. */
  retryTimeScale: number;
  timeoutMs: number;
  maxConcurrentRequests: number;
  gatherMs: number;
}

export interface WebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: SubscriptionType;
  attemptNumber: number;
  objectId: number;
  changeSource: string;
  sourceId?: string;
  changeFlag?: string;
  propertyName?: string;
  propertyValue?: string;
  fromObjectId?: number;
  toObjectId?: number;
  associationType?: string;
  associationRemoved?: boolean;
  isPrimaryAssociation?: boolean;
}

export interface PendingBatch {
  id: string;
  events: WebhookEvent[];
  /** 0 for the first try. */
  attemptNumber: number;
  nextAttemptAt: number;
}

export interface DeliveryLogEntry {
  batchId: string;
  at: string;
  url: string;
  attemptNumber: number;
  eventIds: number[];
  status: number | null;
  error: string | null;
  durationMs: number;
  outcome: 'delivered' | 'retrying' | 'gave_up';
  nextAttemptAt: string | null;
}

export interface AuthCode {
  code: string;
  redirectUri: string;
  scopes: string[];
  expiresAt: number;
}

export interface OAuthAccessToken {
  token: string;
  refreshToken: string;
  scopes: string[];
  expiresAt: number;
}

export interface OAuthRefreshToken {
  token: string;
  scopes: string[];
  createdAt: number;
}

export interface PortalState {
  portalId: number;
  name: string;
  hubDomain: string;
  userId: number;
  userEmail: string;
  appId: number;
  clientId: string;
  clientSecret: string;
  /** Authenticates HubSpot's developer APIs (`?hapikey=`), such as the Webhooks API. */
  developerApiKey: string;
  privateAppToken: string;
  createdAt: string;
  settings: PortalSettings;
  faults: PortalFaults;
  webhooks: WebhookSettings;
  subscriptions: WebhookSubscription[];
  nextSubscriptionId: number;
  nextEventId: number;
  /** Events waiting to be gathered into a batch. */
  queuedEvents: WebhookEvent[];
  pendingBatches: PendingBatch[];
  deliveries: DeliveryLogEntry[];
  authCodes: AuthCode[];
  accessTokens: OAuthAccessToken[];
  refreshTokens: OAuthRefreshToken[];
  nextObjectId: number;
  records: Record<ObjectType, Record<string, StoredRecord>>;
  customProperties: Record<ObjectType, PropertyDefinition[]>;
  associations: AssociationEdge[];
}

const STORE_NAME = 'hubspot';

function emptyState(): HubspotState {
  return { version: 1, nextPortalId: 100_001, portals: [] };
}

function isHubspotState(value: unknown): value is HubspotState {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { version?: unknown; portals?: unknown; nextPortalId?: unknown };
  return (
    candidate.version === 1 && Array.isArray(candidate.portals) && typeof candidate.nextPortalId === 'number'
  );
}

/** The portals' state, kept and written back like every sandbox's (`JsonStateKeeper`). */
export class StateKeeper extends JsonStateKeeper<HubspotState> {
  constructor(store: SandboxStore) {
    super(store, STORE_NAME, isHubspotState, emptyState);
  }

  portal(portalId: number): PortalState | undefined {
    return this.state.portals.find((portal) => portal.portalId === portalId);
  }
}
