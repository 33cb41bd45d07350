import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { memorySandboxStore, type SandboxStore } from '../../src/sandbox/store.ts';
import { createStripeSandbox } from '../../src/sandbox/stripe/index.ts';

/** A server with the Stripe sandbox mounted as refsync mounts it: admin at the prefix, API also at the root. */

export const PREFIX = '/sandbox/stripe';

export interface RunningStripe {
  app: FastifyInstance;
  port: number;
  /** Where the admin API and page live. */
  baseUrl: string;
  close(): Promise<void>;
}

export async function startStripe(store: SandboxStore = memorySandboxStore()): Promise<RunningStripe> {
  const app = Fastify({ logger: false });
  const sandbox = createStripeSandbox(store);
  await app.register(sandbox.plugin, { prefix: PREFIX });
  await app.register(sandbox.rootApi);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, port, baseUrl: `http://127.0.0.1:${port}${PREFIX}`, close: () => app.close() };
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

export interface NewAccount {
  id: string;
  secretKey: string;
}

export function createAccount(baseUrl: string, name = 'Acme'): Promise<NewAccount> {
  return admin<NewAccount>(baseUrl, 'POST', '/_admin/accounts', { name });
}

export function stripeClient(port: number, secretKey: string): Stripe {
  return new Stripe(secretKey, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
}

/** A sandbox with one account and an official client on its secret key. */
export async function startStripeWithAccount(): Promise<{ sandbox: RunningStripe; stripe: Stripe }> {
  const sandbox = await startStripe();
  const account = await createAccount(sandbox.baseUrl);
  return { sandbox, stripe: stripeClient(sandbox.port, account.secretKey) };
}

/** What the official client throws for an error answer. */
export async function stripeError(
  promise: Promise<unknown>,
): Promise<InstanceType<typeof Stripe.errors.StripeError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
