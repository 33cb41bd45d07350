import type { ExtraPlugin } from '../app.ts';
import { hubspotSandbox } from './hubspot/index.ts';
import { salesforceSandbox } from './salesforce/index.ts';
import type { SandboxStore } from './store.ts';

export const sandboxPrefixes = {
  salesforce: '/sandbox/salesforce',
  hubspot: '/sandbox/hubspot',
} as const;

/**
 * Both sandbox CRMs, ready to mount on refsync's server or on a server of their own. Their
 * absolute URLs (instance_url, OAuth redirects) come from each request's Host header.
 */
export function sandboxPlugins(store: SandboxStore): ExtraPlugin[] {
  return [
    { prefix: sandboxPrefixes.salesforce, plugin: async (app) => app.register(salesforceSandbox, { store }) },
    { prefix: sandboxPrefixes.hubspot, plugin: async (app) => app.register(hubspotSandbox, { store }) },
  ];
}
