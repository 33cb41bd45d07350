import type { FastifyPluginAsync } from 'fastify';

type Crm = 'salesforce' | 'hubspot';

const crmOf = (url: string): Crm | undefined => {
  if (url.startsWith('/sandbox/salesforce/services/data/')) return 'salesforce';
  if (url.startsWith('/sandbox/hubspot/crm/')) return 'hubspot';
  return undefined;
};

/**
 * Counts the sandbox CRM API calls refsync makes (not OAuth or admin), server-wide: calls,
 * answers 429, and HubSpot searches filtered by the referral ID property.
 */
export function crmCallCounter() {
  const calls = { salesforce: 0, hubspot: 0 };
  const tooMany = { salesforce: 0, hubspot: 0 };
  const referralIdSearches = { hubspot: 0 };
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('preHandler', async (request) => {
      const crm = crmOf(request.url);
      if (!crm) return;
      calls[crm]++;
      const body = request.body as { filterGroups?: Array<{ filters?: Array<{ propertyName?: string }> }> };
      const filters = (body?.filterGroups ?? []).flatMap((group) => group.filters ?? []);
      if (filters.some((filter) => filter.propertyName === 'refsync_referral_id'))
        referralIdSearches.hubspot++;
    });
    app.addHook('onResponse', async (request, reply) => {
      const crm = crmOf(request.url);
      if (crm && reply.statusCode === 429) tooMany[crm]++;
    });
  };
  // Applies the hooks to the whole server rather than to a plugin of their own.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return { calls, tooMany, referralIdSearches, plugin };
}
