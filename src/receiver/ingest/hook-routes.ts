import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.ts';
import { connectors, providers } from '../../crm/registry.ts';
import { hookIngestOf } from './hook-ingest.ts';

/**
 * Where CRMs deliver events: each connector's hooks (src/crm/<provider>/hooks/), handed the
 * receiver through the one ingest interface. Public (no API key): each provider authenticates
 * its own way. Each sits in its own scope, so its raw-body parsers and size limits apply to
 * its routes only.
 */
export const hookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const ingest = hookIngestOf(ctx);
  for (const provider of providers) {
    const hooks = connectors[provider].hooks;
    if (hooks) await app.register(hooks.routes, { ingest });
  }
};
