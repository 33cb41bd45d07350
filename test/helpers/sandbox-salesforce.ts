import Fastify, { type FastifyInstance } from 'fastify';
import { Connection, OAuth2 } from 'jsforce';
import { salesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { memorySandboxStore, type SandboxStore } from '../../src/sandbox/store.ts';

/** Helpers shared by this folder's tests: a real server on 127.0.0.1 and a jsforce login. */
export interface NewOrg {
  orgId: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  userId: string;
}

export interface RunningSandbox {
  app: FastifyInstance;
  base: string;
  admin: <T = unknown>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;
  createOrg: (body?: Record<string, unknown>) => Promise<NewOrg>;
  login: (org: NewOrg) => Promise<Connection>;
  close: () => Promise<void>;
}

export const API_VERSION = '62.0';

export async function startSandbox(store: SandboxStore = memorySandboxStore()): Promise<RunningSandbox> {
  const app = Fastify({ logger: false });
  await app.register(salesforceSandbox, { prefix: '/sandbox/salesforce', store });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `${address}/sandbox/salesforce`;
  const admin = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}/_admin${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
  return {
    app,
    base,
    admin,
    createOrg: async (body = {}) => {
      const created = await admin<NewOrg>('POST', '/orgs', body);
      if (created.status !== 201) throw new Error(`org creation failed: ${JSON.stringify(created.body)}`);
      return created.body;
    },
    login: async (org) => {
      const conn = new Connection({
        loginUrl: base,
        version: API_VERSION,
        oauth2: new OAuth2({
          loginUrl: base,
          clientId: org.clientId,
          clientSecret: org.clientSecret,
          redirectUri: 'http://localhost/cb',
        }),
      });
      await conn.login(org.username, org.password);
      return conn;
    },
    close: () => app.close(),
  };
}

/** A sandbox with one org, logged in through jsforce: the start of most tests here. */
export async function startSandboxWithOrg(
  body: Record<string, unknown> = {},
): Promise<{ sandbox: RunningSandbox; org: NewOrg; conn: Connection }> {
  const sandbox = await startSandbox();
  const org = await sandbox.createOrg(body);
  const conn = await sandbox.login(org);
  return { sandbox, org, conn };
}

/** Asks the token endpoint for a password grant of the org's user. */
export function passwordGrant(base: string, org: NewOrg): Promise<Response> {
  return fetch(`${base}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: org.clientId,
      client_secret: org.clientSecret,
      username: org.username,
      password: org.password,
    }).toString(),
  });
}

/** The body of an error jsforce threw, typed loosely for assertions. */
export function errorOf(error: unknown): {
  errorCode?: string;
  name?: string;
  message?: string;
  data?: Record<string, unknown>;
} {
  return (error ?? {}) as {
    errorCode?: string;
    name?: string;
    message?: string;
    data?: Record<string, unknown>;
  };
}

export async function rejection(promise: PromiseLike<unknown>): Promise<ReturnType<typeof errorOf>> {
  try {
    await promise;
  } catch (error) {
    return errorOf(error);
  }
  throw new Error('expected the call to fail');
}
