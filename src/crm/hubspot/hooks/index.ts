import { z } from 'zod';
import type { CrmHooks } from '../../hooks.ts';
import { hubspotHookPath, hubspotHookRoutes } from './routes.ts';
import { hubspotSandboxWiring } from './sandbox-wiring.ts';

/** HubSpot webhooks: one signed URL for the whole app, whatever the connection. */
export const hubspotHooks: CrmHooks = {
  sources: ['hubspot_webhook'],
  routes: hubspotHookRoutes,
  urlFields: {
    hubspotWebhookUrl: z.string().describe("The HubSpot app's webhook target URL (one for all portals)"),
  },
  urlsOf: async (base) => ({ hubspotWebhookUrl: `${base}${hubspotHookPath}` }),
  sandbox: hubspotSandboxWiring,
};
