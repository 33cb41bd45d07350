import type { FastifyError, FastifyRequest } from 'fastify';
import type { SandboxPlugin } from '../types.ts';
import { registerAdminRoutes } from './admin.ts';
import { restErrorBody, SfError, sfErrors } from './errors.ts';
import { JSON_TYPE, registerRestRoutes } from './http-rest.ts';
import { registerOAuthRoutes } from './oauth.ts';
import { OrgRegistry } from './org-registry.ts';
import { OutboundSender } from './outbound/sender.ts';
import { CursorStore } from './rest/cursors.ts';
import { registerSoapRoutes } from './soap.ts';
import { registerWebUi } from './web-ui.ts';

/** Turns an `application/x-www-form-urlencoded` body into a plain object (last value wins). */
function parseForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

/**
 * The Salesforce sandbox: OAuth, REST (`/services/data`), outbound messages, an admin API
 * and a web page, mounted under one prefix that is both login URL and instance URL.
 * Encapsulated on purpose: its body parsers, error handler and 404 answer stay inside.
 */
export const salesforceSandbox: SandboxPlugin = async (app, options) => {
  const registry = new OrgRegistry(options.store);
  const cursors = new CursorStore();
  const prefix = app.prefix;
  let lastBaseUrl = options.publicUrl?.replace(/\/$/, '') ?? `http://localhost${prefix}`;
  const baseUrl = (request: FastifyRequest): string => {
    if (options.publicUrl) return options.publicUrl.replace(/\/$/, '');
    lastBaseUrl = `${request.protocol}://${request.host}${prefix}`;
    return lastBaseUrl;
  };
  const sender = new OutboundSender({ registry, baseUrl: () => lastBaseUrl });

  // The host app may have parsers of its own for these types; inside this plugin ours win.
  for (const type of ['application/x-www-form-urlencoded', 'text/xml', 'application/xml']) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  }
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(String(body)));
  });
  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_req, body, done) => {
    done(null, String(body));
  });

  app.addHook('onRequest', async (request) => {
    // Remember how clients reach us, for the URLs inside outbound messages.
    baseUrl(request);
  });

  app.setErrorHandler((error: FastifyError | SfError, request, reply) => {
    if (error instanceof SfError) {
      return reply.code(error.status).type(JSON_TYPE).send(restErrorBody(error));
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'salesforce sandbox failure');
      return reply.code(500).type(JSON_TYPE).send(restErrorBody(sfErrors.unknownException()));
    }
    const code = status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'JSON_PARSER_ERROR';
    return reply
      .code(status)
      .type(JSON_TYPE)
      .send([{ errorCode: code, message: error.message }]);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).type(JSON_TYPE).send(restErrorBody(sfErrors.notFound())),
  );

  registerOAuthRoutes(app, { registry, baseUrl });
  registerRestRoutes(app, { registry, cursors, baseUrl });
  registerSoapRoutes(app, { registry });
  registerAdminRoutes(app, { registry, baseUrl });
  registerWebUi(app, { registry });

  app.addHook('onReady', async () => {
    sender.start();
  });
  app.addHook('onClose', async () => {
    await sender.stop();
    registry.flush();
  });
};
