import { CrmError, type CrmErrorKind, isNetworkError } from '../errors.ts';
import type { ResolvedOptions } from './options.ts';

/**
 * Turns whatever jsforce throws into a CrmError. jsforce's HttpApiError keeps Salesforce's
 * `errorCode` and message but drops the HTTP status, so the status comes from this table
 * (or from jsforce's `ERROR_HTTP_<status>` code for bodies it could not read).
 */
const CALL_ERRORS: Record<string, { kind: CrmErrorKind; status: number | undefined }> = {
  INVALID_SESSION_ID: { kind: 'auth', status: 401 },
  INVALID_AUTH_HEADER: { kind: 'auth', status: 401 },
  // The org or user lost API access: only a person can fix it, like a revoked consent.
  API_DISABLED_FOR_ORG: { kind: 'auth', status: 403 },
  API_CURRENTLY_DISABLED: { kind: 'auth', status: 403 },
  REQUEST_LIMIT_EXCEEDED: { kind: 'rate_limited', status: 403 },
  SERVER_UNAVAILABLE: { kind: 'unavailable', status: 503 },
  UNKNOWN_EXCEPTION: { kind: 'unavailable', status: 500 },
  UNABLE_TO_LOCK_ROW: { kind: 'unavailable', status: undefined },
  NOT_FOUND: { kind: 'not_found', status: 404 },
  ENTITY_IS_DELETED: { kind: 'not_found', status: undefined },
  DUPLICATES_DETECTED: { kind: 'duplicate', status: 400 },
  CANNOT_UPDATE_CONVERTED_LEAD: { kind: 'converted', status: 400 },
};

/** Per-record codes inside save results that are not plain validation failures. */
const RECORD_ERRORS: Record<string, CrmErrorKind> = {
  DUPLICATES_DETECTED: 'duplicate',
  CANNOT_UPDATE_CONVERTED_LEAD: 'converted',
  ENTITY_IS_DELETED: 'not_found',
  NOT_FOUND: 'not_found',
  // Another transaction held the row: the same data can succeed a moment later.
  UNABLE_TO_LOCK_ROW: 'unavailable',
};

function kindOfStatus(status: number): CrmErrorKind {
  if (status === 401) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'unavailable';
  return 'validation';
}

function stringProp(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'string' ? found : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function retryAfter(code: string, message: string, options: ResolvedOptions): number | undefined {
  if (code !== 'REQUEST_LIMIT_EXCEEDED') return undefined;
  // Salesforce uses one code for the daily total and for too many long requests at once.
  return message.startsWith('ConcurrentPerOrgLongTxn')
    ? options.concurrencyLimitRetryAfterMs
    : options.requestLimitRetryAfterMs;
}

/** No answer at all: refused, reset, timed out. */
function transportError(error: unknown): CrmError | undefined {
  if (isNetworkError(error)) {
    const code =
      stringProp(error, 'code') ?? stringProp(stringProp(error, 'cause'), 'code') ?? 'NETWORK_ERROR';
    return new CrmError('unavailable', code, messageOf(error), { cause: error });
  }
  const name = stringProp(error, 'name');
  const type = stringProp(error, 'type');
  if (name === 'AbortError' || type === 'request-timeout') {
    return new CrmError('unavailable', 'TIMEOUT', messageOf(error), { cause: error });
  }
  if (name === 'FetchError') {
    return new CrmError('unavailable', stringProp(error, 'code') ?? 'NETWORK_ERROR', messageOf(error), {
      cause: error,
    });
  }
  return undefined;
}

/**
 * Salesforce's own code and message. When the answer held several errors, jsforce throws
 * MULTIPLE_API_ERRORS with a message of its own and the errors in `data`: use those instead.
 */
function codeAndMessage(error: unknown): [string | undefined, string] {
  const code = stringProp(error, 'errorCode');
  const data = typeof error === 'object' && error !== null ? (error as { data?: unknown }).data : undefined;
  if (code === 'MULTIPLE_API_ERRORS' && Array.isArray(data) && data.length > 0) {
    const messages = data.map((entry) => stringProp(entry, 'message')).filter((m) => m !== undefined);
    return [stringProp(data[0], 'errorCode') ?? code, messages.join('; ')];
  }
  return [code, messageOf(error)];
}

/** A failed REST call (query, describe, collections, tooling) as a CrmError. */
export function callError(error: unknown, options: ResolvedOptions): CrmError {
  if (error instanceof CrmError) return error;
  const transport = transportError(error);
  if (transport) return transport;
  const [code, message] = codeAndMessage(error);
  if (code === undefined) {
    // Not an answer from Salesforce (a jsforce or parsing failure): treat as a passing outage.
    return new CrmError('unavailable', stringProp(error, 'name') ?? 'CLIENT_ERROR', message, {
      cause: error,
    });
  }
  const httpStatus = /^ERROR_HTTP_(\d{3})$/.exec(code)?.[1];
  if (httpStatus !== undefined) {
    const status = Number(httpStatus);
    return new CrmError(kindOfStatus(status), code, message, { status, cause: error });
  }
  const known = CALL_ERRORS[code];
  return new CrmError(known?.kind ?? 'validation', code, message, {
    status: known?.status,
    retryAfterMs: retryAfter(code, message, options),
    cause: error,
  });
}

/**
 * A failed token request. jsforce throws an Error named after the OAuth `error` code
 * (`invalid_grant`, ...) with `error_description` as message, or `ERROR_HTTP_<status>`
 * when the body was not JSON (an outage page).
 */
export function tokenError(error: unknown): CrmError {
  const transport = transportError(error);
  if (transport) return transport;
  const name = stringProp(error, 'name') ?? 'OAUTH_ERROR';
  const message = messageOf(error);
  const httpStatus = /^ERROR_HTTP_(\d{3})$/.exec(name)?.[1];
  if (httpStatus !== undefined) {
    const status = Number(httpStatus);
    const kind = status >= 500 ? 'unavailable' : status === 429 ? 'rate_limited' : 'auth';
    return new CrmError(kind, name, message, { status, cause: error });
  }
  // invalid_grant, invalid_client, inactive_user...: only a new consent can help. Those come
  // with 400; anything else is jsforce refusing to send (no client ID configured, say).
  const status = /^[a-z_]+$/.test(name) ? 400 : undefined;
  return new CrmError('auth', name, message, { status, cause: error });
}

/** One entry of a save result's `errors`: `statusCode` on the wire, `errorCode` in jsforce's types. */
export interface SaveError {
  code: string;
  message: string;
}

/** A record the CRM refused inside a call that itself succeeded. */
export function recordError(errors: SaveError[]): CrmError {
  const first = errors[0] ?? {
    code: 'UNKNOWN_ERROR',
    message: 'Salesforce refused the record without a reason',
  };
  const message = errors.length > 1 ? errors.map((e) => e.message).join('; ') : first.message;
  return new CrmError(RECORD_ERRORS[first.code] ?? 'validation', first.code, message);
}
