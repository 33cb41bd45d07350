import type { FieldDef } from './schema.ts';

/** A stored field value: JSON scalars only, datetimes kept in Salesforce's `+0000` format. */
export type FieldValue = string | number | boolean | null;
export type SfRecord = Record<string, FieldValue>;

export interface CustomFieldDef extends FieldDef {
  /** `00N…` ID the Tooling API reports for the field. */
  toolingId: string;
}

export interface AccessTokenState {
  userId: string;
  issuedAt: number;
  expiresAt: number;
  /** The refresh token that minted it, so revoking the refresh token revokes it too. */
  refreshToken: string | null;
}

export interface RefreshTokenState {
  userId: string;
  issuedAt: number;
  scope: string;
}

export interface AuthCodeState {
  userId: string;
  redirectUri: string;
  scope: string;
  expiresAt: number;
  codeChallenge: string | null;
}

export interface AuthState {
  accessTokens: Record<string, AccessTokenState>;
  refreshTokens: Record<string, RefreshTokenState>;
  codes: Record<string, AuthCodeState>;
}

export type FaultStatus = 500 | 503;

export interface FaultState {
  /** Milliseconds added before every answer (REST and OAuth). Default 0. */
  latencyMs: number;
  /** Share of requests (0–1) answered with a random status from `errorStatuses`. Default 0. */
  errorRate: number;
  errorStatuses: FaultStatus[];
  /** The next N requests fail with `forcedStatus`, whatever `errorRate` says. */
  forcedFailures: number;
  forcedStatus: FaultStatus;
  /** Epoch ms until which everything but the admin API answers 503. */
  outageUntil: number | null;
}

export type OutboundCondition =
  | { kind: 'any-change' }
  | { kind: 'created' }
  | { kind: 'field-equals'; field: string; value: FieldValue; everyTime: boolean };

export interface OutboundRule {
  /** `04k…` ActionId sent in every message of this rule. */
  id: string;
  name: string;
  object: string;
  condition: OutboundCondition;
  fields: string[];
  endpointUrl: string;
  active: boolean;
  createdAt: string;
}

export interface QueuedNotification {
  /** `04l…` notification ID, the listener's dedupe key. */
  id: string;
  ruleId: string;
  object: string;
  recordId: string;
  queuedAt: number;
  attempts: number;
  nextAttemptAt: number;
}

export type DeliveryOutcome = 'acked' | 'failed' | 'dropped';

export interface DeliveryLogEntry {
  at: string;
  ruleId: string;
  endpointUrl: string;
  notificationIds: string[];
  recordIds: string[];
  attempt: number;
  outcome: DeliveryOutcome;
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
  /** True for the extra copy sent when duplicated delivery is on. */
  duplicate: boolean;
}

export interface OutboundSettings {
  /** Send every message twice, to test listeners' idempotency. Default false. */
  duplicateDelivery: boolean;
  /** Multiplies every retry delay and the give-up window (1 = real time). Default 1. */
  timeScale: number;
  /** First retry delay in seconds before scaling. Default 60. */
  retryBaseSeconds: number;
  /** Longest delay between two attempts, in seconds before scaling. Default 7200 (2 h). */
  retryCapSeconds: number;
  /** Age in seconds (before scaling) after which a notification is dropped. Default 86400. */
  giveUpAfterSeconds: number;
}

export interface OutboundState {
  rules: OutboundRule[];
  queue: QueuedNotification[];
  log: DeliveryLogEntry[];
  settings: OutboundSettings;
}

export interface OrgLimits {
  /** Requests per UTC day before the API answers 403 REQUEST_LIMIT_EXCEEDED. Default 15000. */
  dailyApiRequests: number;
}

export interface OrgState {
  orgId: string;
  name: string;
  /** Two characters every record ID of this org carries after its key prefix. */
  pod: string;
  sequence: number;
  createdAt: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  userId: string;
  /** Allowed OAuth redirect URIs; empty allows any (a sandbox convenience). */
  redirectUris: string[];
  /** Access-token lifetime in seconds. Default 7200. */
  tokenLifetimeSeconds: number;
  limits: OrgLimits;
  usage: { day: string; count: number };
  customFields: Record<string, CustomFieldDef[]>;
  records: Record<string, Record<string, SfRecord>>;
  auth: AuthState;
  faults: FaultState;
  outbound: OutboundState;
}

export interface PersistedState {
  version: 1;
  orgs: OrgState[];
}

export const DEFAULT_FAULTS: FaultState = {
  latencyMs: 0,
  errorRate: 0,
  errorStatuses: [500, 503],
  forcedFailures: 0,
  forcedStatus: 503,
  outageUntil: null,
};

export const DEFAULT_OUTBOUND_SETTINGS: OutboundSettings = {
  duplicateDelivery: false,
  timeScale: 1,
  retryBaseSeconds: 60,
  retryCapSeconds: 7200,
  giveUpAfterSeconds: 86_400,
};

export const DEFAULT_DAILY_API_REQUESTS = 15_000;
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 7200;
/** Delivery-log entries kept per org; older ones are dropped first. */
export const DELIVERY_LOG_LIMIT = 1000;
