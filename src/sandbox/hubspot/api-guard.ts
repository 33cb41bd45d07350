import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerOf, expiredToken, findCredential, missingCredentials } from './auth.ts';
import { type HubspotContext, setApiCall } from './context.ts';
import { tooManyRequests } from './errors.ts';
import { applyFaults } from './faults.ts';

/**
 * Runs before every CRM call: finds the portal from the bearer token, counts the call
 * against the rate limit, applies the portal's faults, then rejects expired tokens and
 * calls over the limit. The limit headers go on every answer, including the 429 itself.
 */
export function apiGuard(context: HubspotContext) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = bearerOf(request.headers.authorization);
    const credential = token === null ? null : findCredential(context.keeper, token);
    if (credential === null) throw missingCredentials();
    const { portal } = credential;
    await applyFaults(context.keeper, portal);
    const now = Date.now();
    if (credential.kind === 'oauth' && credential.expiresAt <= now)
      throw expiredToken(credential.expiresAt, now);
    const verdict = context.limiter.check(portal, now, credential.kind === 'private-app');
    reply.headers(verdict.headers);
    if (verdict.policy !== null) throw tooManyRequests(verdict.policy, portal.portalId);
    setApiCall(request, {
      portal,
      credential,
      source: { changeSource: 'API', sourceId: String(portal.appId) },
    });
  };
}
