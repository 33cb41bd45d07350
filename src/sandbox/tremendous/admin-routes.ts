import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newKey } from '../api-keys.ts';
import { faultsBody, revokeKeys, rollKey, setFaults } from '../payment-faults.ts';
import { fundingSourceJson, sendJson, type TremendousContext, toAmount } from './context.ts';
import { TremendousError } from './errors.ts';
import {
  balanceSource,
  type FundingSourceState,
  findFundingSource,
  noFaults,
  type OrganizationState,
  tremendousId,
} from './state.ts';

/** The sandbox's own control API (not a Tremendous API); documented in docs/sandbox-payments.md. */

const amount = z
  .number()
  .finite()
  .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, 'at most two decimals');

const newOrganizationBody = z
  .object({
    name: z.string().min(1).max(200).optional(),
    currency: z.enum(['USD', 'EUR', 'GBP', 'CAD']).optional(),
    balance: amount.refine((value) => value >= 0, 'must be at least 0').optional(),
  })
  .strict();

const fundingBody = z
  .object({
    fundingSourceId: z.string().min(1).optional(),
    amount: amount.optional(),
    balance: amount.refine((value) => value >= 0, 'must be at least 0').optional(),
  })
  .strict()
  .refine(
    (body) => (body.amount === undefined) !== (body.balance === undefined),
    'give exactly one of amount or balance',
  );

const fundingSourceBody = z
  .object({
    method: z.enum(['bank_account', 'credit_card', 'invoice']),
    available: amount.refine((value) => value >= 0, 'must be at least 0').default(0),
  })
  .strict();

type OrgParams = { organizationId: string };

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'body';
  throw new TremendousError(400, `${field}: ${issue?.message ?? 'invalid'}`, {
    [field]: issue?.message ?? 'invalid',
  });
}

function organizationOr404(context: TremendousContext, id: string): OrganizationState {
  const found = context.keeper.state.organizations.find((candidate) => candidate.id === id);
  if (found === undefined)
    throw new TremendousError(404, 'Organization not found', { id: `No organization with id ${id}` });
  return found;
}

/** What the admin API shows: never a key, only its last four characters. */
export function organizationSummary(organization: OrganizationState) {
  return {
    id: organization.id,
    name: organization.name,
    currency: organization.currency,
    createdAt: organization.createdAt,
    keys: organization.keys.map((key) => ({
      last4: key.last4,
      revoked: key.revoked,
      createdAt: key.createdAt,
    })),
    faults: organization.faults,
    fundingSources: organization.fundingSources.map((source) => ({
      ...fundingSourceJson(organization, source),
      available: toAmount(source.availableCents),
    })),
    orders: organization.orders.length,
  };
}

export function registerAdminRoutes(app: FastifyInstance, context: TremendousContext): void {
  const { keeper } = context;

  app.post('/_admin/organizations', async (request, reply) => {
    const input = parse(newOrganizationBody, request.body);
    const { key, stored } = newKey('TEST_', 40);
    const balance: FundingSourceState = {
      id: tremendousId(),
      method: 'balance',
      availableCents: Math.round((input.balance ?? 0) * 100),
      createdAt: new Date().toISOString(),
    };
    const organization: OrganizationState = {
      id: tremendousId(),
      name: input.name ?? 'Sandbox organization',
      currency: input.currency ?? 'USD',
      createdAt: new Date().toISOString(),
      keys: [stored],
      faults: noFaults(),
      fundingSources: [balance],
      orders: [],
    };
    keeper.state.organizations.push(organization);
    keeper.changed();
    return sendJson(reply, 201, {
      ...organizationSummary(organization),
      apiKey: key,
      basePath: `${context.baseUrl(request)}/api/v2`,
    });
  });

  app.get('/_admin/organizations', async (_request, reply) =>
    sendJson(reply, 200, { organizations: keeper.state.organizations.map(organizationSummary) }),
  );

  app.get<{ Params: OrgParams }>('/_admin/organizations/:organizationId', async (request, reply) =>
    sendJson(reply, 200, organizationSummary(organizationOr404(context, request.params.organizationId))),
  );

  app.delete<{ Params: OrgParams }>('/_admin/organizations/:organizationId', async (request, reply) => {
    const organization = organizationOr404(context, request.params.organizationId);
    keeper.state.organizations = keeper.state.organizations.filter((candidate) => candidate !== organization);
    keeper.changed();
    return reply.code(204).send();
  });

  /** Adds funds to (`amount`, may be negative down to zero) or sets (`balance`) one funding source. */
  app.post<{ Params: OrgParams }>('/_admin/organizations/:organizationId/funding', async (request, reply) => {
    const organization = organizationOr404(context, request.params.organizationId);
    const input = parse(fundingBody, request.body);
    const source =
      input.fundingSourceId === undefined
        ? balanceSource(organization)
        : findFundingSource(organization, input.fundingSourceId);
    if (source === undefined) {
      throw new TremendousError(404, 'Funding source not found', {
        fundingSourceId: `No funding source ${input.fundingSourceId}`,
      });
    }
    const next =
      input.balance !== undefined
        ? Math.round(input.balance * 100)
        : source.availableCents + Math.round((input.amount ?? 0) * 100);
    if (next < 0) {
      throw new TremendousError(400, 'amount: would take the funding source below zero', {
        amount: 'would take the funding source below zero',
      });
    }
    source.availableCents = next;
    keeper.changed();
    return sendJson(reply, 200, { ...fundingSourceJson(organization, source), available: toAmount(next) });
  });

  app.post<{ Params: OrgParams }>(
    '/_admin/organizations/:organizationId/funding-sources',
    async (request, reply) => {
      const organization = organizationOr404(context, request.params.organizationId);
      const input = parse(fundingSourceBody, request.body);
      const source: FundingSourceState = {
        id: tremendousId(),
        method: input.method,
        availableCents: Math.round(input.available * 100),
        createdAt: new Date().toISOString(),
      };
      organization.fundingSources.push(source);
      keeper.changed();
      return sendJson(reply, 201, { ...fundingSourceJson(organization, source), available: input.available });
    },
  );

  app.post<{ Params: OrgParams }>(
    '/_admin/organizations/:organizationId/revoke-keys',
    async (request, reply) => {
      const organization = organizationOr404(context, request.params.organizationId);
      revokeKeys(organization.keys);
      keeper.changed();
      return sendJson(reply, 200, organizationSummary(organization));
    },
  );

  app.post<{ Params: OrgParams }>(
    '/_admin/organizations/:organizationId/roll-key',
    async (request, reply) => {
      const organization = organizationOr404(context, request.params.organizationId);
      const key = rollKey(organization.keys, 'TEST_', 40);
      keeper.changed();
      return sendJson(reply, 200, { ...organizationSummary(organization), apiKey: key });
    },
  );

  app.put<{ Params: OrgParams }>('/_admin/organizations/:organizationId/faults', async (request, reply) => {
    const organization = organizationOr404(context, request.params.organizationId);
    const input = parse(faultsBody, request.body);
    setFaults(organization.faults, input);
    keeper.changed();
    return sendJson(reply, 200, organization.faults);
  });

  app.delete<{ Params: OrgParams }>(
    '/_admin/organizations/:organizationId/faults',
    async (request, reply) => {
      const organization = organizationOr404(context, request.params.organizationId);
      organization.faults = noFaults();
      keeper.changed();
      return sendJson(reply, 200, organization.faults);
    },
  );
}
