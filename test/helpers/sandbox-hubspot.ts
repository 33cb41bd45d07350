import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@hubspot/api-client';
import Fastify, { type FastifyInstance } from 'fastify';
import { hubspotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { memorySandboxStore, type SandboxStore } from '../../src/sandbox/store.ts';

/** Helpers for the sandbox's own tests: a server with only this plugin, and a webhook listener. */

export const PREFIX = '/sandbox/hubspot';

export interface RunningSandbox {
  app: FastifyInstance;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startSandbox(store: SandboxStore = memorySandboxStore()): Promise<RunningSandbox> {
  const app = Fastify({ logger: false });
  await app.register(hubspotSandbox, { prefix: PREFIX, store });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}${PREFIX}`, close: () => app.close() };
}

export interface PortalCredentials {
  portalId: number;
  accessToken: string;
  appId: number;
  clientId: string;
  clientSecret: string;
  developerApiKey: string;
}

export async function adminCall<T>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export function createPortal(
  baseUrl: string,
  body: Record<string, unknown> = {},
): Promise<PortalCredentials> {
  return adminCall<PortalCredentials>(baseUrl, 'POST', '/_admin/portals', body);
}

export function clientFor(baseUrl: string, accessToken: string, retries = 0): Client {
  return new Client({ accessToken, basePath: baseUrl, numberOfApiCallRetries: retries });
}

/** A sandbox with one portal and an official client on its access token. */
export async function startSandboxWithPortal(
  body: Record<string, unknown> = {},
): Promise<{ sandbox: RunningSandbox; portal: PortalCredentials; client: Client }> {
  const sandbox = await startSandbox();
  const portal = await createPortal(sandbox.baseUrl, body);
  return { sandbox, portal, client: clientFor(sandbox.baseUrl, portal.accessToken) };
}

export interface ReceivedRequest {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook endpoint on port 0; `answer` and `delayMs` pick each request's status and answer time. */
export interface Listener {
  url: string;
  received: ReceivedRequest[];
  waitFor(predicate: (received: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startListener(
  answer: (index: number) => number = () => 200,
  delayMs: (index: number) => number = () => 0,
): Promise<Listener> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const index = received.length - 1;
      setTimeout(() => {
        response.statusCode = answer(index);
        response.end('ok');
      }, delayMs(index));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/hubspot?source=sandbox`,
    received,
    async waitFor(predicate, timeoutMs = 5000) {
      const started = Date.now();
      while (!predicate(received)) {
        if (Date.now() - started > timeoutMs)
          throw new Error(`listener: condition not met in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Status and parsed JSON body of a plain fetch, plus the raw content type. */
export async function fetchJson(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; contentType: string | null; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : JSON.parse(text),
    contentType: response.headers.get('content-type'),
    headers: response.headers,
  };
}

/** What `@hubspot/api-client` throws for a non-2xx answer (`ApiException`). */
export interface ApiErrorShape {
  code: number;
  body: Record<string, unknown> & { message?: string; category?: string; errors?: unknown[] };
  headers: Record<string, string>;
}

export async function apiError(promise: Promise<unknown>): Promise<ApiErrorShape> {
  try {
    await promise;
  } catch (error) {
    return error as ApiErrorShape;
  }
  throw new Error('expected the call to fail');
}
