import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashKey, keyMatches } from '../api-keys.ts';
import { applyFaults } from '../payment-faults.ts';
import { rateLimited, serverError, unauthorized } from './errors.ts';
import type { FundingSourceState, OrganizationState, TremendousKeeper } from './state.ts';

export interface TremendousContext {
  keeper: TremendousKeeper;
  /** This sandbox's root as clients reach it; the API lives under `<baseUrl>/api/v2`. */
  baseUrl(request: FastifyRequest): string;
}

const organizations = new WeakMap<FastifyRequest, OrganizationState>();

export function organizationOf(request: FastifyRequest): OrganizationState {
  const organization = organizations.get(request);
  if (organization === undefined) throw new Error('tremendous sandbox: API route ran without the guard');
  return organization;
}

export function sendJson(reply: FastifyReply, statusCode: number, body: unknown): FastifyReply {
  return reply.code(statusCode).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

export const toAmount = (cents: number) => Math.round(cents) / 100;

/** A funding source as `GET /funding_sources` shows it. */
export function fundingSourceJson(organization: OrganizationState, source: FundingSourceState) {
  const permissions =
    source.method === 'balance'
      ? ['api_orders', 'dashboard_orders']
      : ['api_orders', 'dashboard_orders', 'balance_funding'];
  const meta =
    source.method === 'balance' || source.method === 'invoice'
      ? {
          available_amount: toAmount(source.availableCents),
          available_cents: source.availableCents,
          currency_code: organization.currency,
          ...(source.method === 'balance' ? { pending_amount: 0, pending_cents: 0 } : {}),
        }
      : {
          accountholder_name: organization.name,
          ...(source.method === 'bank_account' ? { account_number_mask: '0000' } : { last4: '4242' }),
        };
  return {
    id: source.id,
    method: source.method,
    usage_permissions: permissions,
    status: 'active',
    ...(source.method === 'invoice' ? { type: 'PREFUNDING_ONLY' } : {}),
    meta,
  };
}

function bearerOf(authorization: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

/** Runs before every `/api/v2` call: the bearer API key finds the organization, then its faults apply. */
export function apiGuard(context: TremendousContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const key = bearerOf(request.headers.authorization);
    if (key === null) throw unauthorized();
    const hash = hashKey(key);
    for (const organization of context.keeper.state.organizations) {
      const stored = organization.keys.find((candidate) => keyMatches(candidate, hash));
      if (stored === undefined) continue;
      if (stored.revoked) throw unauthorized();
      await applyFaults(
        organization.faults,
        () => context.keeper.changed(),
        { rateLimited, serverError },
        request,
      );
      organizations.set(request, organization);
      return;
    }
    throw unauthorized();
  };
}
