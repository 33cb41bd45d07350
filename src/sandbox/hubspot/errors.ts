import { randomUUID } from 'node:crypto';

/**
 * HubSpot error bodies. Every error answer carries `status: 'error'`, a message, a
 * correlation id and a category; clients treat the rest as optional.
 */
export type ErrorBody = Record<string, unknown> & { message: string };

export class HubspotError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

export interface ErrorDetail {
  message: string;
  code?: string;
  in?: string;
  subCategory?: string;
  context?: Record<string, string[]>;
}

export function errorBody(
  category: string,
  message: string,
  extra: { subCategory?: string; context?: Record<string, string[]>; errors?: ErrorDetail[] } = {},
): ErrorBody {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

export function hubspotError(
  statusCode: number,
  category: string,
  message: string,
  extra: { subCategory?: string; context?: Record<string, string[]>; errors?: ErrorDetail[] } = {},
): HubspotError {
  return new HubspotError(statusCode, errorBody(category, message, extra));
}

export const notFound = (message = 'resource not found') => hubspotError(404, 'OBJECT_NOT_FOUND', message);

export const validationError = (message: string, extra: { errors?: ErrorDetail[] } = {}) =>
  hubspotError(400, 'VALIDATION_ERROR', message, extra);

/** Per-property failures, listed the way HubSpot does: a JSON string inside `message`. */
export interface PropertyProblem {
  name: string;
  error: 'PROPERTY_DOESNT_EXIST' | 'INVALID_OPTION' | 'INVALID_INTEGER' | 'INVALID_DATE' | 'INVALID_EMAIL';
  message: string;
}

export function propertyValuesError(portalId: number, problems: PropertyProblem[]): HubspotError {
  const detail = problems.map((problem) => ({
    isValid: false,
    message: problem.message,
    error: problem.error,
    name: problem.name,
    localizedErrorMessage: problem.message,
    portalId,
  }));
  return validationError(`Property values were not valid: ${JSON.stringify(detail)}`, {
    errors: problems.map((problem) => ({
      message: problem.message,
      code: problem.error,
      context: { propertyName: [problem.name] },
    })),
  });
}

export function duplicateContact(existingId: string): HubspotError {
  return hubspotError(409, 'CONFLICT', `Contact already exists. Existing ID: ${existingId}`);
}

export function tooManyRequests(policy: 'TEN_SECONDLY_ROLLING' | 'DAILY', portalId: number): HubspotError {
  const message =
    policy === 'DAILY'
      ? 'You have reached your daily limit.'
      : 'You have reached your ten_secondly_rolling limit.';
  return new HubspotError(429, {
    status: 'error',
    message,
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName: policy,
    groupName: `publicapi:portal:${portalId}`,
  });
}
