import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { newKey } from '../api-keys.ts';
import { faultsBody, revokeKeys, rollKey, setFaults } from '../payment-faults.ts';
import { newId, type StripeContext } from './context.ts';
import { invalidRequest, StripeApiError } from './errors.ts';
import { type AccountState, noFaults } from './state.ts';

/** The sandbox's own control API (not a Stripe API); documented in docs/sandbox-payments.md. */

const newAccountBody = z.object({ name: z.string().min(1).max(200).optional() }).strict();

type AccountParams = { accountId: string };

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || undefined;
  throw invalidRequest(`${field ?? 'body'}: ${issue?.message ?? 'invalid'}`, field);
}

function accountOr404(context: StripeContext, id: string): AccountState {
  const account = context.keeper.state.accounts.find((candidate) => candidate.id === id);
  if (account === undefined) {
    throw new StripeApiError(404, {
      type: 'invalid_request_error',
      message: `No such account: '${id}'`,
      param: 'accountId',
    });
  }
  return account;
}

/** What the admin API shows of an account: never a key, only its last four characters. */
export function accountSummary(account: AccountState) {
  return {
    id: account.id,
    name: account.name,
    createdAt: account.createdAt,
    keys: account.keys.map((key) => ({ last4: key.last4, revoked: key.revoked, createdAt: key.createdAt })),
    faults: account.faults,
    customers: Object.keys(account.customers).length,
    balanceTransactions: Object.values(account.balanceTransactions).reduce(
      (sum, list) => sum + list.length,
      0,
    ),
  };
}

function json(reply: FastifyReply, statusCode: number, body: unknown): FastifyReply {
  return reply.code(statusCode).type('application/json').send(JSON.stringify(body));
}

export function registerAdminRoutes(app: FastifyInstance, context: StripeContext): void {
  const { keeper } = context;
  const origin = (baseUrl: string) => new URL(baseUrl);

  /** Where the official client should point: it takes host, port and protocol, and adds `/v1` itself. */
  const clientSettings = (baseUrl: string) => {
    const url = origin(baseUrl);
    return {
      baseUrl,
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol.replace(':', ''),
      basePath: url.pathname.replace(/\/+$/, ''),
    };
  };

  app.post('/_admin/accounts', async (request, reply) => {
    const input = parse(newAccountBody, request.body);
    const { key, stored } = newKey('sk_test_', 48);
    const account: AccountState = {
      id: newId('acct', 16),
      name: input.name ?? 'Sandbox account',
      createdAt: new Date().toISOString(),
      keys: [stored],
      faults: noFaults(),
      customers: {},
      balanceTransactions: {},
      idempotency: [],
    };
    keeper.state.accounts.push(account);
    keeper.changed();
    return json(reply, 201, {
      ...accountSummary(account),
      secretKey: key,
      ...clientSettings(context.baseUrl(request)),
    });
  });

  app.get('/_admin/accounts', async (_request, reply) =>
    json(reply, 200, { data: keeper.state.accounts.map(accountSummary) }),
  );

  app.get<{ Params: AccountParams }>('/_admin/accounts/:accountId', async (request, reply) =>
    json(reply, 200, accountSummary(accountOr404(context, request.params.accountId))),
  );

  app.delete<{ Params: AccountParams }>('/_admin/accounts/:accountId', async (request, reply) => {
    const account = accountOr404(context, request.params.accountId);
    keeper.state.accounts = keeper.state.accounts.filter((candidate) => candidate !== account);
    keeper.changed();
    return reply.code(204).send();
  });

  /** Every key of the account stops working (401 `api_key_expired`), as when a key is rolled without grace. */
  app.post<{ Params: AccountParams }>('/_admin/accounts/:accountId/revoke-keys', async (request, reply) => {
    const account = accountOr404(context, request.params.accountId);
    revokeKeys(account.keys);
    keeper.changed();
    return json(reply, 200, accountSummary(account));
  });

  /** Revokes every key and makes a new one, shown in this answer only. */
  app.post<{ Params: AccountParams }>('/_admin/accounts/:accountId/roll-key', async (request, reply) => {
    const account = accountOr404(context, request.params.accountId);
    const key = rollKey(account.keys, 'sk_test_', 48);
    keeper.changed();
    return json(reply, 200, { ...accountSummary(account), secretKey: key });
  });

  app.put<{ Params: AccountParams }>('/_admin/accounts/:accountId/faults', async (request, reply) => {
    const account = accountOr404(context, request.params.accountId);
    const input = parse(faultsBody, request.body);
    setFaults(account.faults, input);
    keeper.changed();
    return json(reply, 200, account.faults);
  });

  app.delete<{ Params: AccountParams }>('/_admin/accounts/:accountId/faults', async (request, reply) => {
    const account = accountOr404(context, request.params.accountId);
    account.faults = noFaults();
    keeper.changed();
    return json(reply, 200, account.faults);
  });
}
