import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, codeOfStatus, errorBody, type FieldIssue, validationFailed } from '../core/errors.ts';
import { databaseUnavailable } from '../db/errors.ts';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: PropertyKey[] } };
}

/** `/customFields/plan` in the body becomes `customFields.plan`; query params keep their name. */
function fieldOf(issue: ValidationIssue): string {
  const path = issue.params?.issue?.path;
  if (path && path.length > 0) return path.map(String).join('.');
  const fromPointer = (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  return fromPointer || 'body';
}

/** The one place errors become HTTP answers: `{ error: { code, message, details } }`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const send = (answer: AppError) => reply.code(answer.httpStatus).send(errorBody(answer));
    if (error instanceof AppError && error.forCaller) return send(error);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues: FieldIssue[] = error.validation.map((issue) => ({
        field: fieldOf(issue as ValidationIssue),
        message: issue.message ?? 'is invalid',
      }));
      return send(validationFailed(issues));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return send(new AppError('bad_request', `body: ${error.message}`));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(new AppError('payload_too_large', 'body: request body is too large'));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return send(new AppError('unsupported_media_type', error.message));
    }
    if (
      !(error instanceof AppError) &&
      typeof error.statusCode === 'number' &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      return send(new AppError(codeOfStatus(error.statusCode), error.message));
    }
    if (error.code === 'FST_ERR_HANDLER_TIMEOUT') {
      request.log.warn({ err: error }, 'request timed out');
      return send(new AppError('unavailable', 'The request took too long; retry in a moment'));
    }
    if (databaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', '5');
      return send(
        new AppError('database_unavailable', 'The database is unavailable right now; retry in a moment', {
          retryable: true,
        }),
      );
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(new AppError('internal', 'Internal error'));
  });
}

/** The answer to a path nothing serves (the console hands back what it does not serve). */
export function answerNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
  return reply.code(answer.httpStatus).send(errorBody(answer));
}
