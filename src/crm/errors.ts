import { AppError } from '../core/errors.ts';
import { noteRateLimited } from './limit-notes.ts';

/**
 * What a CRM said when a call failed, kept verbatim, plus what refsync should do about it.
 *
 * - `auth`: the access token was refused (401); refresh once, then the connection needs
 *   reconnecting.
 * - `rate_limited`: too many calls (HubSpot 429, Salesforce 403 REQUEST_LIMIT_EXCEEDED);
 *   retry after `retryAfterMs` when given.
 * - `unavailable`: 5xx, timeouts, refused connections; retry with backoff.
 * - `validation`: the CRM rejected the data (required field, bad value, unknown field);
 *   retrying the same data cannot help.
 * - `duplicate`: the CRM's duplicate rule refused the record.
 * - `converted`: a Salesforce Lead that was converted cannot be updated.
 * - `not_found`: the record or resource does not exist.
 */
export type CrmErrorKind =
  | 'auth'
  | 'rate_limited'
  | 'unavailable'
  | 'validation'
  | 'duplicate'
  | 'converted'
  | 'not_found';

export class CrmError extends AppError {
  readonly kind: CrmErrorKind;
  /** The CRM's own code: `REQUIRED_FIELD_MISSING`, `VALIDATION_ERROR`, `HTTP_503`, ... */
  readonly crmCode: string;
  readonly retryAfterMs: number | undefined;
  /** HTTP status the CRM answered, when there was an answer. */
  readonly status: number | undefined;

  constructor(
    kind: CrmErrorKind,
    crmCode: string,
    message: string,
    options: { retryAfterMs?: number | undefined; status?: number | undefined; cause?: unknown } = {},
  ) {
    super('crm_error', message, {
      cause: options.cause,
      retryable: kind === 'rate_limited' || kind === 'unavailable' || kind === 'auth',
      forCaller: false,
    });
    this.name = 'CrmError';
    this.kind = kind;
    this.crmCode = crmCode;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    // Noted even when a retry rides it out: the connection's health says the CRM limits us.
    if (kind === 'rate_limited') noteRateLimited({ code: crmCode, message });
  }
}

/** Network-level failures (no answer at all) are outages: retry later. */
export function isNetworkError(error: unknown): boolean {
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ??
    (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return (
    typeof code === 'string' &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      'EAI_AGAIN',
      'UND_ERR_SOCKET',
      'UND_ERR_CONNECT_TIMEOUT',
    ].includes(code)
  );
}
