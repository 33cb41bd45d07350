import { CrmError, type CrmErrorKind, isNetworkError } from '../errors.ts';
import { DEFAULT_RATE_LIMIT_WAIT_MS, POLICY_WAIT_MS, RECORD_ERROR_KINDS } from './facts.ts';

/**
 * Turns whatever `@hubspot/api-client` throws into a CrmError. The client throws an
 * `ApiException { code, body, headers }` for an answer it did not like (one class per
 * generated API, so it is recognised by shape), and node-fetch's `FetchError` when no
 * answer came at all.
 */

interface ApiFailure {
  code: number;
  body: unknown;
  headers: Record<string, string>;
}

function isApiFailure(error: unknown): error is ApiFailure {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as Record<string, unknown>;
  return typeof candidate.code === 'number' && 'body' in candidate && typeof candidate.headers === 'object';
}

function text(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** HTTP statuses and the kind each one means; anything else 4xx is the data's fault. */
const STATUS_KINDS: Record<number, CrmErrorKind> = {
  401: 'auth',
  // MISSING_SCOPES: reconnecting grants the scopes again, so it is treated like a dead token.
  403: 'auth',
  404: 'not_found',
  409: 'duplicate',
  429: 'rate_limited',
};

function kindOf(status: number): CrmErrorKind {
  if (status >= 500) return 'unavailable';
  return STATUS_KINDS[status] ?? 'validation';
}

function rateLimitWait(failure: ApiFailure, policy: string | undefined): number {
  const policyWait = policy === undefined ? undefined : POLICY_WAIT_MS[policy];
  if (policyWait !== undefined) return policyWait;
  const interval = Number(header(failure.headers, 'X-HubSpot-RateLimit-Interval-Milliseconds'));
  return Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_RATE_LIMIT_WAIT_MS;
}

export interface ErrorContext {
  /**
   * The OAuth token endpoint answers a bad code or refresh token with 400 and its own
   * `status` (`BAD_REFRESH_TOKEN`, ...): for the connection that is an auth failure.
   */
  tokenEndpoint?: boolean;
}

export function toCrmError(error: unknown, context: ErrorContext = {}): CrmError {
  if (error instanceof CrmError) return error;
  if (isApiFailure(error)) return fromApiFailure(error, context);
  if (isNetworkError(error) || (error instanceof Error && error.name === 'FetchError')) {
    const code = text(error, 'code') ?? 'NETWORK_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    return new CrmError('unavailable', code, message, { cause: error });
  }
  // Anything else came back unreadable (e.g. an HTML error page from a proxy, which the
  // client fails to parse): treat it as the service misbehaving, keep the original as cause.
  const message = error instanceof Error ? error.message : String(error);
  return new CrmError('unavailable', 'UNEXPECTED_RESPONSE', message, { cause: error });
}

function fromApiFailure(failure: ApiFailure, context: ErrorContext): CrmError {
  const status = failure.code;
  const body = failure.body;
  const bodyStatus = text(body, 'status');
  const policy = text(body, 'policyName');
  const message =
    text(body, 'message') ?? text(body, 'error_description') ?? `HubSpot answered HTTP ${status}`;
  const crmCode =
    (status === 429 ? policy : undefined) ??
    text(body, 'category') ??
    (bodyStatus !== undefined && bodyStatus !== 'error' ? bodyStatus : undefined) ??
    text(body, 'errorType') ??
    `HTTP_${status}`;
  const kind = context.tokenEndpoint === true && status === 400 ? 'auth' : kindOf(status);
  return new CrmError(kind, crmCode, message, {
    status,
    cause: failure,
    ...(kind === 'rate_limited' ? { retryAfterMs: rateLimitWait(failure, policy) } : {}),
  });
}

/** Failures that belong to one record (bad data, duplicate, missing) rather than to the call. */
export function isRecordFailure(error: CrmError): boolean {
  return error.kind === 'validation' || error.kind === 'duplicate' || error.kind === 'not_found';
}

/** One entry of a batch answer's `errors` (StandardError) as a CrmError. */
export function fromBatchError(entry: { category?: string; message?: string }): CrmError {
  const category = entry.category ?? 'VALIDATION_ERROR';
  const kind = RECORD_ERROR_KINDS[category] ?? 'validation';
  return new CrmError(kind, category, entry.message ?? 'HubSpot refused this record');
}

/** Runs one client call and turns its failure into a CrmError. */
export async function hubspotCall<T>(call: () => Promise<T>, context: ErrorContext = {}): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toCrmError(error, context);
  }
}
