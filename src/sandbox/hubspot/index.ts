import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { installLenientJsonParser } from '../json-body.ts';
import type { SandboxOptions, SandboxPlugin } from '../types.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import { apiGuard } from './api-guard.ts';
import { registerAssociationRoutes } from './association-routes.ts';
import { AssociationService } from './associations.ts';
import { registerBatchRoutes } from './batch-routes.ts';
import { type HubspotContext, JSON_TYPE } from './context.ts';
import { errorBody, HubspotError } from './errors.ts';
import { registerOAuthRoutes } from './oauth-routes.ts';
import { registerObjectRoutes } from './object-routes.ts';
import { registerPipelineRoutes } from './pipeline-routes.ts';
import { registerPropertyRoutes } from './property-routes.ts';
import { RateLimiter } from './rate-limit.ts';
import { type ChangeListener, RecordService } from './records.ts';
import { registerSearchRoutes } from './search.ts';
import { StateKeeper } from './state.ts';
import { registerUiRoutes } from './ui-routes.ts';
import { WebhookDispatcher } from './webhooks.ts';
import { registerWebhooksApiRoutes } from './webhooks-api-routes.ts';

/**
 * The HubSpot sandbox CRM: mounted at a prefix that stands in for https://api.hubapi.com.
 * Encapsulated on purpose: its body parsers, error and 404 handlers answer the HubSpot way
 * without touching the host app.
 */
export const hubspotSandbox: SandboxPlugin = async (app: FastifyInstance, options: SandboxOptions) => {
  const keeper = new StateKeeper(options.store);
  const webhooks = new WebhookDispatcher(keeper);
  const onChange: ChangeListener = (portal, changes, source) => webhooks.onChange(portal, changes, source);
  const prefix = app.prefix;
  const publicUrl = options.publicUrl?.replace(/\/+$/, '');
  const context: HubspotContext = {
    keeper,
    records: new RecordService(keeper, onChange),
    associations: new AssociationService(keeper, onChange),
    limiter: new RateLimiter(),
    webhooks,
    baseUrl: (request: FastifyRequest) => publicUrl ?? `${request.protocol}://${request.host}${prefix}`,
  };

  installParsers(app);
  installErrorHandlers(app);

  registerAdminRoutes(app, context);
  registerOAuthRoutes(app, context);
  registerUiRoutes(app, context);
  registerWebhooksApiRoutes(app, context);
  await app.register(async (api) => {
    api.addHook('onRequest', apiGuard(context));
    registerObjectRoutes(api, context);
    registerBatchRoutes(api, context);
    registerSearchRoutes(api, context);
    registerPropertyRoutes(api, context);
    registerAssociationRoutes(api, context);
    registerPipelineRoutes(api, context);
  });

  app.addHook('onReady', async () => webhooks.start());
  app.addHook('onClose', async () => {
    webhooks.close();
    keeper.flush();
  });
};

function installParsers(app: FastifyInstance): void {
  installLenientJsonParser(
    app,
    (message) => new HubspotError(400, errorBody('VALIDATION_ERROR', `Invalid input JSON: ${message}`)),
  );
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, text, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(text))));
    },
  );
}

function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HubspotError, request, reply) => {
    if (error instanceof HubspotError) {
      return reply
        .code(error.statusCode)
        .headers(error.headers)
        .type(JSON_TYPE)
        .send(JSON.stringify(error.body));
    }
    const statusCode =
      typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (statusCode >= 500) request.log.error({ err: error }, 'hubspot sandbox failure');
    const body =
      statusCode >= 500
        ? errorBody('INTERNAL_ERROR', 'internal error')
        : errorBody(statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_ERROR', error.message);
    return reply.code(statusCode).type(JSON_TYPE).send(JSON.stringify(body));
  });
  app.setNotFoundHandler((request, reply) => {
    const body = errorBody(
      'OBJECT_NOT_FOUND',
      `resource not found: ${request.method} ${request.url.split('?')[0]}`,
    );
    return reply.code(404).type(JSON_TYPE).send(JSON.stringify(body));
  });
}
