import type { ExtraPlugin } from '../app.ts';
import { hubspotSandbox } from './hubspot/index.ts';
import { salesforceSandbox } from './salesforce/index.ts';
import type { SandboxStore } from './store.ts';
import { createStripeSandbox } from './stripe/index.ts';
import { tremendousSandbox } from './tremendous/index.ts';

export const sandboxPrefixes = {
  salesforce: '/sandbox/salesforce',
  hubspot: '/sandbox/hubspot',
  stripe: '/sandbox/stripe',
  tremendous: '/sandbox/tremendous',
} as const;

/**
 * The sandbox CRMs and payment services, ready to mount on refsync's server or on a server of their own. Their
 * absolute URLs (instance_url, OAuth redirects) come from each request's Host header.
 */
export function sandboxPlugins(store: SandboxStore): ExtraPlugin[] {
  const stripe = createStripeSandbox(store);
  return [
    { prefix: sandboxPrefixes.salesforce, plugin: async (app) => app.register(salesforceSandbox, { store }) },
    { prefix: sandboxPrefixes.hubspot, plugin: async (app) => app.register(hubspotSandbox, { store }) },
    { prefix: sandboxPrefixes.stripe, plugin: stripe.plugin },
    { prefix: sandboxPrefixes.tremendous, plugin: async (app) => app.register(tremendousSandbox, { store }) },
    // The official Stripe client takes only host, port and protocol and always calls /v1/...
    { prefix: '', plugin: stripe.rootApi },
  ];
}
