import { describe, expect, it } from 'vitest';
import { CrmError } from '../errors.ts';
import { callError, recordError, tokenError } from './call-errors.ts';
import { resolveOptions } from './options.ts';

const options = resolveOptions();

/** What jsforce's HttpApiError carries: name and errorCode alike, message, data. */
function apiError(errorCode: string, message: string, data?: unknown): Error {
  return Object.assign(new Error(message), { name: errorCode, errorCode, data });
}

describe('callError', () => {
  it.each([
    ['INVALID_SESSION_ID', 'Session expired or invalid', 'auth', 401],
    ['API_DISABLED_FOR_ORG', 'The REST API is not enabled for this Organization.', 'auth', 403],
    ['REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.', 'rate_limited', 403],
    ['SERVER_UNAVAILABLE', 'Server temporarily unavailable', 'unavailable', 503],
    ['UNKNOWN_EXCEPTION', 'An unexpected error occurred.', 'unavailable', 500],
    ['ERROR_HTTP_502', '<html>Bad gateway</html>', 'unavailable', 502],
    ['ERROR_HTTP_429', 'slow down', 'rate_limited', 429],
    ['ERROR_HTTP_401', 'Bad_OAuth_Token', 'auth', 401],
    ['NOT_FOUND', 'The requested resource does not exist', 'not_found', 404],
    ['MALFORMED_QUERY', 'unexpected token', 'validation', undefined],
    ['INVALID_FIELD', "No such column 'Foo__c' on sobject of type Lead", 'validation', undefined],
  ])('maps %s', (code, message, kind, status) => {
    const error = callError(apiError(code, message), options);
    expect(error).toMatchObject({ kind, crmCode: code, message, status });
  });

  it('waits long after the daily limit and briefly after the concurrency limit', () => {
    expect(
      callError(apiError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), options).retryAfterMs,
    ).toBe(15 * 60_000);
    const concurrent = apiError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.');
    expect(callError(concurrent, options).retryAfterMs).toBe(30_000);
  });

  it('reads the errors behind MULTIPLE_API_ERRORS', () => {
    const error = apiError('MULTIPLE_API_ERRORS', 'Multiple errors returned.', [
      { errorCode: 'INVALID_FIELD', message: 'first' },
      { errorCode: 'MALFORMED_ID', message: 'second' },
    ]);
    expect(callError(error, options)).toMatchObject({
      kind: 'validation',
      crmCode: 'INVALID_FIELD',
      message: 'first; second',
    });
  });

  it('treats network failures, timeouts and client failures as outages', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), {
      name: 'FetchError',
      code: 'ECONNREFUSED',
    });
    expect(callError(refused, options)).toMatchObject({ kind: 'unavailable', crmCode: 'ECONNREFUSED' });
    const aborted = Object.assign(new Error('The user aborted a request.'), {
      name: 'AbortError',
      type: 'aborted',
    });
    expect(callError(aborted, options)).toMatchObject({ kind: 'unavailable', crmCode: 'TIMEOUT' });
    expect(callError(new SyntaxError('Unexpected token <'), options)).toMatchObject({
      kind: 'unavailable',
      crmCode: 'SyntaxError',
    });
  });

  it('passes a CrmError through unchanged', () => {
    const original = new CrmError('validation', 'INVALID_FIELD', 'bad name');
    expect(callError(original, options)).toBe(original);
  });
});

describe('tokenError', () => {
  it('maps OAuth errors to auth and outage pages to unavailable', () => {
    const invalid = Object.assign(new Error('expired access/refresh token'), { name: 'invalid_grant' });
    expect(tokenError(invalid)).toMatchObject({
      kind: 'auth',
      crmCode: 'invalid_grant',
      message: 'expired access/refresh token',
    });
    const outage = Object.assign(new Error('Service Unavailable'), { name: 'ERROR_HTTP_503' });
    expect(tokenError(outage)).toMatchObject({ kind: 'unavailable', status: 503 });
  });
});

describe('recordError', () => {
  it.each([
    ['DUPLICATES_DETECTED', 'duplicate'],
    ['CANNOT_UPDATE_CONVERTED_LEAD', 'converted'],
    ['ENTITY_IS_DELETED', 'not_found'],
    ['UNABLE_TO_LOCK_ROW', 'unavailable'],
    ['REQUIRED_FIELD_MISSING', 'validation'],
    ['FIELD_CUSTOM_VALIDATION_EXCEPTION', 'validation'],
    ['STRING_TOO_LONG', 'validation'],
  ])('maps %s to %s', (code, kind) => {
    expect(recordError([{ code, message: 'm' }])).toMatchObject({ kind, crmCode: code, message: 'm' });
  });

  it('keeps every message of a record refused for several reasons', () => {
    const error = recordError([
      { code: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]' },
      { code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Phone must have 10 digits' },
    ]);
    expect(error).toMatchObject({
      crmCode: 'REQUIRED_FIELD_MISSING',
      message: 'Required fields are missing: [LastName]; Phone must have 10 digits',
    });
  });
});
