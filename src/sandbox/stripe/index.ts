import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { cutLostAnswers } from '../payment-faults.ts';
import type { SandboxStore } from '../store.ts';
import type { SandboxOptions, SandboxPlugin } from '../types.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import { registerBalanceRoutes } from './balance-routes.ts';
import { newId, type StripeContext, sendStripe } from './context.ts';
import { registerCustomerRoutes } from './customer-routes.ts';
import { invalidRequest, StripeApiError, serverError, unknownRoute } from './errors.ts';
import { decodeForm, FormDecodeError } from './form.ts';
import { apiGuard } from './guard.ts';
import { stripeKeeper } from './state.ts';
import { registerUiRoutes } from './ui-routes.ts';

export interface StripeSandbox {
  /** Admin API, web page and the API under `<prefix>/v1`. */
  plugin: FastifyPluginAsync;
  /**
   * The API alone, for mounting at a server's root: the official client takes only host,
   * port and protocol and always calls `/v1/...`.
   */
  rootApi: FastifyPluginAsync;
}

/**
 * The Stripe sandbox: one state, two mounts sharing it. Encapsulated on purpose: its form
 * parser and error and 404 handlers answer the Stripe way without touching the host app.
 */
export function createStripeSandbox(store: SandboxStore, publicUrl?: string): StripeSandbox {
  const keeper = stripeKeeper(store);
  const fixedUrl = publicUrl?.replace(/\/+$/, '');
  const contextFor = (prefix: string): StripeContext => ({
    keeper,
    baseUrl: (request: FastifyRequest) => fixedUrl ?? `${request.protocol}://${request.host}${prefix}`,
  });
  const registerApi = async (app: FastifyInstance, context: StripeContext) => {
    await app.register(async (api) => {
      api.addHook('onRequest', apiGuard(context));
      api.addHook('onSend', cutLostAnswers);
      registerCustomerRoutes(api, context);
      registerBalanceRoutes(api, context);
    });
  };
  return {
    plugin: async (app) => {
      const context = contextFor(app.prefix);
      installBasics(app);
      app.setNotFoundHandler((request, reply) => {
        const error = unknownRoute(request.method, request.url.split('?')[0] ?? '');
        return sendStripe(reply, 404, JSON.stringify(error.body));
      });
      registerAdminRoutes(app, context);
      registerUiRoutes(app, context);
      await registerApi(app, context);
      app.addHook('onClose', async () => keeper.flush());
    },
    rootApi: async (app) => {
      // No 404 handler here: the host owns its root's; a catch-all route answers unknown /v1 paths.
      installBasics(app);
      await registerApi(app, contextFor(app.prefix));
      app.all('/v1/*', async (request) => {
        throw unknownRoute(request.method, request.url.split('?')[0] ?? '');
      });
      app.addHook('onClose', async () => keeper.flush());
    },
  };
}

export const stripeSandbox: SandboxPlugin = async (app: FastifyInstance, options: SandboxOptions) => {
  await createStripeSandbox(options.store, options.publicUrl).plugin(app, {});
};

function installBasics(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('request-id', newId('req'));
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, text, done) => {
      try {
        done(null, decodeForm(String(text)));
      } catch (error) {
        const failure = error instanceof FormDecodeError ? invalidRequest(error.message, error.param) : error;
        done(failure as Error, undefined);
      }
    },
  );
  app.setErrorHandler((error: FastifyError | StripeApiError, request, reply) => {
    if (error instanceof StripeApiError) {
      reply.headers(error.headers);
      return sendStripe(reply, error.statusCode, JSON.stringify(error.body));
    }
    const statusCode =
      typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'stripe sandbox failure');
      return sendStripe(reply, 500, JSON.stringify(serverError(500).body));
    }
    const message =
      statusCode === 415
        ? `Invalid request: the sandbox reads application/x-www-form-urlencoded bodies, as Stripe does (${error.message}).`
        : error.message;
    return sendStripe(reply, 400, JSON.stringify(invalidRequest(message).body));
  });
}
