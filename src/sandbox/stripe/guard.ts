import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashKey, keyMatches } from '../api-keys.ts';
import { applyFaults } from '../payment-faults.ts';
import { type StripeContext, setAccount } from './context.ts';
import {
  expiredApiKey,
  invalidApiKey,
  invalidRequest,
  noApiKey,
  rateLimited,
  serverError,
} from './errors.ts';
import type { StripeKeeper } from './state.ts';

/** The secret key of a call: Bearer (what the client sends) or Basic with the key as user name. */
export function presentedKey(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer?.[1] !== undefined) return bearer[1];
  const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization);
  if (basic?.[1] === undefined) return null;
  const user = Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0] ?? '';
  return user === '' ? null : user;
}

function findKey(keeper: StripeKeeper, key: string) {
  const hash = hashKey(key);
  for (const account of keeper.state.accounts) {
    const stored = account.keys.find((candidate) => keyMatches(candidate, hash));
    if (stored !== undefined) return { account, stored };
  }
  return null;
}

const VERSION_PATTERN = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

/** Runs before every `/v1` call: API version, secret key, faults. */
export function apiGuard(context: StripeContext) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const version = request.headers['stripe-version'];
    if (typeof version === 'string') {
      if (!VERSION_PATTERN.test(version)) throw invalidRequest(`Invalid Stripe API version: ${version}`);
      reply.header('stripe-version', version);
    }
    const key = presentedKey(request.headers.authorization);
    if (key === null) throw noApiKey();
    const found = findKey(context.keeper, key);
    if (found === null) throw invalidApiKey(key);
    if (found.stored.revoked) throw expiredApiKey(key);
    await applyFaults(
      found.account.faults,
      () => context.keeper.changed(),
      {
        rateLimited,
        serverError: () => serverError(500),
      },
      request,
    );
    setAccount(request, found.account);
  };
}
