/**
 * Stripe's error answers: `{ error: { type, code?, message, param?, doc_url? } }`. The
 * official client picks its error class from the HTTP status (401 → authentication, 429 →
 * rate limit), while the body's `type` is what the real API sends: `invalid_request_error`
 * for bad keys and rate limits, `api_error` for server faults, `idempotency_error` for a
 * reused key.
 */
export interface StripeErrorFields {
  type: 'invalid_request_error' | 'api_error' | 'idempotency_error';
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
}

export class StripeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly fields: StripeErrorFields,
    readonly headers: Record<string, string> = {},
  ) {
    super(fields.message);
  }

  get body(): { error: StripeErrorFields } {
    return { error: this.fields };
  }
}

function withCode(code: string): Pick<StripeErrorFields, 'code' | 'doc_url'> {
  return { code, doc_url: `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}` };
}

export function invalidRequest(message: string, param?: string, code?: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    message,
    ...(code === undefined ? {} : withCode(code)),
    ...(param === undefined ? {} : { param }),
  });
}

export const missingParam = (param: string) =>
  invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');

export const unknownParam = (param: string) =>
  invalidRequest(`Received unknown parameter: ${param}`, param, 'parameter_unknown');

export const invalidInteger = (param: string, value: string) =>
  invalidRequest(`Invalid integer: ${value}`, param, 'parameter_invalid_integer');

export function noSuch(kind: string, id: string, param: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `No such ${kind}: '${id}'`,
    param,
    ...withCode('resource_missing'),
  });
}

export function unknownRoute(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

/** Shows a presented key the way Stripe does: prefix, stars, last four. */
export function maskKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  return `${prefix}${'*'.repeat(Math.max(0, rest.length - 4))}${rest.slice(-4)}`;
}

export const noApiKey = () =>
  new StripeApiError(401, {
    type: 'invalid_request_error',
    message:
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
  });

export const invalidApiKey = (key: string) =>
  new StripeApiError(401, {
    type: 'invalid_request_error',
    message: `Invalid API Key provided: ${maskKey(key)}`,
  });

export const expiredApiKey = (key: string) =>
  new StripeApiError(401, {
    type: 'invalid_request_error',
    message: `Expired API Key provided: ${maskKey(key)}`,
    ...withCode('api_key_expired'),
  });

export const rateLimited = () =>
  new StripeApiError(429, {
    type: 'invalid_request_error',
    message:
      'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
    ...withCode('rate_limit'),
  });

export const serverError = (status: 500 | 503) =>
  new StripeApiError(status, { type: 'api_error', message: 'An unknown error occurred' });

export function idempotencyError(message: string): StripeApiError {
  return new StripeApiError(400, { type: 'idempotency_error', message });
}
