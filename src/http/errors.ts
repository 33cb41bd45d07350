import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, errorBody, type FieldIssue, validationFailed } from '../core/errors.ts';
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
    if (error instanceof AppError) {
      return reply.code(error.status).send(errorBody(error));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues: FieldIssue[] = error.validation.map((issue) => ({
        field: fieldOf(issue as ValidationIssue),
        message: issue.message ?? 'is invalid',
      }));
      return reply.code(400).send(errorBody(validationFailed(issues)));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return reply.code(400).send(errorBody(new AppError('bad_request', `body: ${error.message}`)));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(413)
        .send(errorBody(new AppError('payload_too_large', 'body: request body is too large')));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: { code: 'unsupported_media_type', message: error.message } });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: 'bad_request', message: error.message } });
    }
    if (error.code === 'FST_ERR_HANDLER_TIMEOUT') {
      request.log.warn({ err: error }, 'request timed out');
      return reply
        .code(503)
        .send(errorBody(new AppError('unavailable', 'The request took too long; retry in a moment')));
    }
    if (databaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send(
          errorBody(
            new AppError('database_unavailable', 'The database is unavailable right now; retry in a moment', {
              retryable: true,
            }),
          ),
        );
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody(new AppError('internal', 'Internal error')));
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(errorBody(new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`)));
  });
}
