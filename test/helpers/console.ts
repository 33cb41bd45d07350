import { createUser } from '../../src/users/service.ts';
import type { ApiResponse, TestApp } from './app.ts';

/** A browser-like caller of the API: the session cookie, the CSRF token, an Origin. */
export class SessionClient {
  constructor(
    readonly baseUrl: string,
    readonly cookie: string,
    readonly csrfToken: string,
  ) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { body?: unknown; csrf?: string | null; origin?: string | null } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { cookie: this.cookie };
    const csrf = options.csrf === undefined ? this.csrfToken : options.csrf;
    if (csrf !== null && method !== 'GET') headers['x-csrf-token'] = csrf;
    const origin = options.origin === undefined ? this.baseUrl : options.origin;
    if (origin !== null && method !== 'GET') headers.origin = origin;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      body: (type.includes('json') && text ? JSON.parse(text) : text) as T,
      headers: response.headers,
    };
  }
}

export async function signIn(
  baseUrl: string,
  email: string,
  password: string,
): Promise<{
  status: number;
  client: SessionClient | undefined;
  body: Record<string, unknown>;
  headers: Headers;
}> {
  const response = await fetch(`${baseUrl}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  const client =
    response.ok && cookie ? new SessionClient(baseUrl, cookie, String(body.csrfToken)) : undefined;
  return { status: response.status, client, body, headers: response.headers };
}

/** A user of a fresh workspace, signed in. */
export async function signedInUser(
  testApp: TestApp,
  role: 'admin' | 'viewer',
  workspaceId?: string,
): Promise<{ client: SessionClient; email: string; password: string; workspaceId: string }> {
  const workspace = workspaceId ?? (await testApp.newWorkspace()).id;
  const email = `${role}-${Math.random().toString(36).slice(2)}@example.com`;
  const password = 'correct horse battery';
  await createUser(testApp.app.ctx.db, workspace, { email, password, role });
  const { client } = await signIn(testApp.url, email, password);
  if (!client) throw new Error(`sign-in of ${email} failed`);
  return { client, email, password, workspaceId: workspace };
}
