import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { Configuration, FundingSourcesApi, OrdersApi, ProductsApi } from 'tremendous';
import { memorySandboxStore, type SandboxStore } from '../../src/sandbox/store.ts';
import { tremendousSandbox } from '../../src/sandbox/tremendous/index.ts';

/** A server with only the Tremendous sandbox, and the official client pointed at it. */

export const PREFIX = '/sandbox/tremendous';

export interface RunningTremendous {
  app: FastifyInstance;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startTremendous(
  store: SandboxStore = memorySandboxStore(),
): Promise<RunningTremendous> {
  const app = Fastify({ logger: false });
  await app.register(tremendousSandbox, { prefix: PREFIX, store });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}${PREFIX}`, close: () => app.close() };
}

export async function admin<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export interface NewOrganization {
  id: string;
  apiKey: string;
  basePath: string;
  fundingSources: Array<{ id: string; method: string; available: number }>;
}

export function createOrganization(
  baseUrl: string,
  body: Record<string, unknown> = {},
): Promise<NewOrganization> {
  return admin<NewOrganization>(baseUrl, 'POST', '/_admin/organizations', body);
}

export function clients(organization: { basePath: string; apiKey: string }) {
  const configuration = new Configuration({
    basePath: organization.basePath,
    accessToken: organization.apiKey,
  });
  return {
    orders: new OrdersApi(configuration),
    fundingSources: new FundingSourcesApi(configuration),
    products: new ProductsApi(configuration),
  };
}

/** What the client (axios) throws for an error answer: status and body. */
export async function apiFailure(
  promise: Promise<unknown>,
): Promise<{ status: number; data: { errors: { message: string; payload: Record<string, unknown> } } }> {
  try {
    await promise;
  } catch (error) {
    const response = (error as { response?: { status: number; data: never } }).response;
    if (response !== undefined) return response;
    throw error;
  }
  throw new Error('expected the call to fail');
}

export const orderFor = (
  overrides: { externalId?: string; denomination?: number; email?: string; fundingSourceId?: string } = {},
) => ({
  ...(overrides.externalId === undefined ? {} : { external_id: overrides.externalId }),
  payment: { funding_source_id: overrides.fundingSourceId ?? 'balance' },
  reward: {
    value: { denomination: overrides.denomination ?? 25, currency_code: 'USD' as const },
    products: ['OKMHM2X2OHYV'],
    recipient: { name: 'Ada Referrer', email: overrides.email ?? 'ada@example.com' },
    delivery: { method: 'EMAIL' as const },
  },
});
