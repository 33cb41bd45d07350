import type { FastifyPluginAsync } from 'fastify';
import type { SandboxStore } from './store.ts';

/**
 * What refsync hands a sandbox CRM when it mounts it (under `/sandbox/salesforce` or
 * `/sandbox/hubspot`) or when `refsync sandbox` serves it alone.
 */
export interface SandboxOptions {
  /** Where orgs/portals and their records survive a restart. */
  store: SandboxStore;
  /**
   * Absolute base URL of this sandbox as clients reach it (e.g.
   * `http://127.0.0.1:3000/sandbox/salesforce`). When absent, it is derived from each
   * request's protocol, Host header and the mount prefix.
   */
  publicUrl?: string;
}

export type SandboxPlugin = FastifyPluginAsync<SandboxOptions>;
