/**
 * Expected failures carry a code, whether a retry can help, and details a caller can act on.
 * The HTTP status of each code lives in one table, so routes never choose statuses by hand.
 */
export const errorStatus = {
  validation_failed: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  not_a_sandbox: 409,
  referral_locked: 409,
  referral_denied: 409,
  idempotency_key_in_use: 409,
  idempotency_key_reused: 422,
  unknown_milestone: 422,
  unprocessable: 422,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  crm_error: 502,
  unavailable: 503,
  database_unavailable: 503,
  // Failures raised inside refsync and handled where they happen; their statuses say what
  // each would mean to a caller, should one ever be answered.
  connection_needs_reauth: 409,
  destination_refused: 400,
  oauth_callback_failed: 400,
  malformed_soap: 400,
  retry_later: 503,
  invalid_config: 500,
  data_dir_locked: 409,
  usage: 400,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** One problem with one input field, named by its path (`customFields.plan`, `email`). */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  details?: unknown;
  /** Whether repeating the same operation later can succeed. Default: false. */
  retryable?: boolean;
  cause?: unknown;
  /**
   * Whether the message is written for the API caller. Failures from inside (a CRM's words,
   * a refused address) are turned into caller-facing errors where they are caught; one that
   * escapes is logged and answers as an internal error. Default: true.
   */
  forCaller?: boolean;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryable: boolean;
  readonly forCaller: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
    this.forCaller = options.forCaller ?? true;
  }

  /** Named apart from `status`, which a CRM failure uses for the CRM's own answer. */
  get httpStatus(): number {
    return errorStatus[this.code];
  }
}

const generalCodes = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'uri_too_long',
  'unsupported_media_type',
  'unprocessable',
  'rate_limited',
] as const satisfies readonly ErrorCode[];

/** The general code of a 4xx another layer chose (Fastify's own refusals), else `bad_request`. */
export function codeOfStatus(status: number): ErrorCode {
  return generalCodes.find((code) => errorStatus[code] === status) ?? 'bad_request';
}

export function notFound(what: string, id: string): AppError {
  return new AppError('not_found', `${what} ${id} was not found`);
}

/** A 400 listing every bad field, the message naming each one. */
export function validationFailed(issues: FieldIssue[]): AppError {
  const message = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
  return new AppError('validation_failed', message, { details: issues });
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(error: AppError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}
