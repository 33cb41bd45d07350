import { ApiException } from '@hubspot/api-client/lib/codegen/crm/objects/apis/exception.js';
import { describe, expect, it } from 'vitest';
import { CrmError } from '../errors.ts';
import { fromBatchError, toCrmError } from './errors.ts';
import { toPropertyValues } from './values.ts';

/** How HubSpot's answers become CrmErrors, for the cases the sandbox cannot produce. */

function apiError(code: number, body: unknown, headers: Record<string, string> = {}) {
  return new ApiException<unknown>(code, 'An error occurred.', body, headers);
}

describe('toCrmError', () => {
  const cases: Array<{
    name: string;
    error: unknown;
    expected: { kind: string; crmCode: string; status?: number; retryAfterMs?: number; message?: string };
  }> = [
    {
      name: 'expired token',
      error: apiError(401, {
        status: 'error',
        message: 'The OAuth token used to make this call expired 5 second(s) ago.',
        category: 'EXPIRED_AUTHENTICATION',
      }),
      expected: { kind: 'auth', crmCode: 'EXPIRED_AUTHENTICATION', status: 401 },
    },
    {
      name: 'missing scopes',
      error: apiError(403, {
        status: 'error',
        message: "This app hasn't been granted all required scopes",
        category: 'MISSING_SCOPES',
      }),
      expected: { kind: 'auth', crmCode: 'MISSING_SCOPES' },
    },
    {
      name: 'rolling 429 with the interval header',
      error: apiError(
        429,
        {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          policyName: 'TEN_SECONDLY_ROLLING',
        },
        { 'x-hubspot-ratelimit-interval-milliseconds': '2500' },
      ),
      expected: { kind: 'rate_limited', crmCode: 'TEN_SECONDLY_ROLLING', retryAfterMs: 2500 },
    },
    {
      name: 'rolling 429 without headers',
      error: apiError(429, { status: 'error', message: 'x', policyName: 'TEN_SECONDLY_ROLLING' }),
      expected: { kind: 'rate_limited', crmCode: 'TEN_SECONDLY_ROLLING', retryAfterMs: 10_000 },
    },
    {
      name: 'daily 429',
      error: apiError(
        429,
        { status: 'error', message: 'You have reached your daily limit.', policyName: 'DAILY' },
        { 'X-HubSpot-RateLimit-Interval-Milliseconds': '10000' },
      ),
      expected: {
        kind: 'rate_limited',
        crmCode: 'DAILY',
        retryAfterMs: 3_600_000,
        message: 'You have reached your daily limit.',
      },
    },
    {
      name: 'search secondly 429',
      error: apiError(429, {
        status: 'error',
        message: 'You have reached your secondly limit.',
        policyName: 'SECONDLY',
      }),
      expected: { kind: 'rate_limited', crmCode: 'SECONDLY', retryAfterMs: 1000 },
    },
    {
      name: 'server error',
      error: apiError(502, { status: 'error', message: 'Bad gateway' }),
      expected: { kind: 'unavailable', crmCode: 'HTTP_502', status: 502 },
    },
    {
      name: 'duplicate email',
      error: apiError(409, {
        status: 'error',
        message: 'Contact already exists. Existing ID: 12345',
        category: 'CONFLICT',
      }),
      expected: {
        kind: 'duplicate',
        crmCode: 'CONFLICT',
        message: 'Contact already exists. Existing ID: 12345',
      },
    },
    {
      name: 'not found',
      error: apiError(404, { status: 'error', message: 'resource not found', category: 'OBJECT_NOT_FOUND' }),
      expected: { kind: 'not_found', crmCode: 'OBJECT_NOT_FOUND' },
    },
    {
      name: 'invalid value',
      error: apiError(400, {
        status: 'error',
        message: 'Property values were not valid: [...]',
        category: 'VALIDATION_ERROR',
      }),
      expected: {
        kind: 'validation',
        crmCode: 'VALIDATION_ERROR',
        message: 'Property values were not valid: [...]',
      },
    },
    {
      name: 'refused connection',
      error: Object.assign(new Error('request to http://x failed, reason: connect ECONNREFUSED'), {
        name: 'FetchError',
        code: 'ECONNREFUSED',
      }),
      expected: { kind: 'unavailable', crmCode: 'ECONNREFUSED' },
    },
    {
      name: 'an answer the client could not read',
      error: new Error('Cannot parse content. No Content-Type defined.'),
      expected: { kind: 'unavailable', crmCode: 'UNEXPECTED_RESPONSE' },
    },
  ];

  it.each(cases)('$name', ({ error, expected }) => {
    const mapped = toCrmError(error);
    expect(mapped).toBeInstanceOf(CrmError);
    expect(mapped).toMatchObject(expected);
  });

  it('treats a refused grant at the token endpoint as an auth failure', () => {
    const refused = apiError(400, {
      status: 'BAD_REFRESH_TOKEN',
      message: 'missing or unknown refresh token',
    });
    expect(toCrmError(refused, { tokenEndpoint: true })).toMatchObject({
      kind: 'auth',
      crmCode: 'BAD_REFRESH_TOKEN',
      message: 'missing or unknown refresh token',
    });
  });

  it('reads batch errors by category', () => {
    expect(
      fromBatchError({ category: 'CONFLICT', message: 'Contact already exists. Existing ID: 1' }),
    ).toMatchObject({
      kind: 'duplicate',
      crmCode: 'CONFLICT',
    });
    expect(fromBatchError({ category: 'OBJECT_NOT_FOUND', message: 'gone' }).kind).toBe('not_found');
    expect(fromBatchError({ category: 'SOMETHING_NEW', message: 'odd' }).kind).toBe('validation');
  });
});

describe('toPropertyValues', () => {
  it('sends strings, clears on null and leaves out undefined', () => {
    expect(
      toPropertyValues({
        firstname: 'Ada',
        count: 3,
        active: true,
        at: new Date('2026-01-02T03:04:05.000Z'),
        phone: null,
        company: undefined,
      }),
    ).toEqual({ firstname: 'Ada', count: '3', active: 'true', at: '2026-01-02T03:04:05.000Z', phone: '' });
  });
});
