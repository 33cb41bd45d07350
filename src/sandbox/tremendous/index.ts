import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { installLenientJsonParser } from '../json-body.ts';
import { cutLostAnswers } from '../payment-faults.ts';
import type { SandboxOptions, SandboxPlugin } from '../types.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import { registerApiRoutes } from './api-routes.ts';
import { apiGuard, sendJson, type TremendousContext } from './context.ts';
import { serverError, TremendousError } from './errors.ts';
import { tremendousKeeper } from './state.ts';
import { registerUiRoutes } from './ui-routes.ts';

/**
 * The Tremendous sandbox: mounted at a prefix that stands in for
 * https://testflight.tremendous.com (the client's `basePath` is `<prefix>/api/v2`).
 * Encapsulated on purpose: its JSON parser and error and 404 handlers answer the
 * Tremendous way without touching the host app.
 */
export const tremendousSandbox: SandboxPlugin = async (app: FastifyInstance, options: SandboxOptions) => {
  const keeper = tremendousKeeper(options.store);
  const prefix = app.prefix;
  const publicUrl = options.publicUrl?.replace(/\/+$/, '');
  const context: TremendousContext = {
    keeper,
    baseUrl: (request: FastifyRequest) => publicUrl ?? `${request.protocol}://${request.host}${prefix}`,
  };

  installLenientJsonParser(app, () => new TremendousError(400, 'Invalid JSON in request body'));
  app.setErrorHandler((error: FastifyError | TremendousError, request, reply) => {
    if (error instanceof TremendousError) return sendJson(reply, error.statusCode, error.body);
    const statusCode =
      typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'tremendous sandbox failure');
      return sendJson(reply, 500, serverError().body);
    }
    return sendJson(reply, statusCode, new TremendousError(statusCode, error.message).body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendJson(
      reply,
      404,
      new TremendousError(404, `No route for ${request.method} ${request.url.split('?')[0]}`).body,
    ),
  );

  registerAdminRoutes(app, context);
  registerUiRoutes(app, context);
  await app.register(async (api) => {
    api.addHook('onRequest', apiGuard(context));
    api.addHook('onSend', cutLostAnswers);
    registerApiRoutes(api, context);
  });
  app.addHook('onClose', async () => keeper.flush());
};
