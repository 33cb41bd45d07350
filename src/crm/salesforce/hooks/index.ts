import { z } from 'zod';
import type { CrmHooks } from '../../hooks.ts';
import { salesforceHookRoutes } from './routes.ts';
import { salesforceSandboxWiring } from './sandbox-wiring.ts';

/**
 * Salesforce outbound messages: one URL per connection carrying its hook secret, and a
 * second one that moves a referral to one milestone.
 */
export const salesforceHooks: CrmHooks = {
  sources: ['salesforce_outbound', 'salesforce_transition'],
  routes: salesforceHookRoutes,
  urlFields: {
    salesforceOutboundUrl: z
      .string()
      .nullable()
      .describe(
        'Endpoint URL for Salesforce outbound messages (null for HubSpot connections); keep it secret',
      ),
    transitionUrl: z
      .string()
      .nullable()
      .describe(
        'Outbound messages that move a referral to one milestone: append ?status=<milestone code>' +
          '[&field=<referral ID field>][&feedbackField=<field>]',
      ),
  },
  // Null for another CRM's connection: its URLs would never be accepted here.
  urlsOf: async (base, connection, secret) => {
    if (connection.provider !== 'salesforce') return { salesforceOutboundUrl: null, transitionUrl: null };
    const outbound = `${base}/hooks/salesforce/${connection.id}/${await secret()}`;
    return { salesforceOutboundUrl: outbound, transitionUrl: `${outbound}/transition` };
  },
  sandbox: salesforceSandboxWiring,
};
