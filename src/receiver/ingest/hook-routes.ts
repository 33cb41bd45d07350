import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.ts';
import { hubspotHookRoutes } from './hubspot-routes.ts';
import { salesforceHookRoutes } from './salesforce-routes.ts';

/**
 * Where CRMs deliver events. Public (no API key): each provider authenticates its own way,
 * a secret in the URL for Salesforce and a signature for HubSpot. Each sits in its own
 * scope, so their raw-body parsers and size limits apply to their routes only.
 */
export const hookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  await app.register(salesforceHookRoutes, { ctx });
  await app.register(hubspotHookRoutes, { ctx });
};
