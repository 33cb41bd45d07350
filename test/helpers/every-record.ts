import type { DestinationStream } from 'pino';
import { expect } from 'vitest';
import { sandboxPlugins } from '../../src/sandbox/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';
import { subscribers } from '../../src/subscribers.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './app.ts';
import { SandboxSalesforce } from './crm.ts';

/**
 * refsync with every subscriber and the sandboxes, an owner workspace holding one record of
 * every kind the API names by ID, and a stranger workspace with nothing: for tests that walk
 * every route.
 */
export interface EveryRecord {
  testApp: TestApp;
  owner: ApiClient;
  ownerKey: string;
  stranger: ApiClient;
  /** The owner's record of each kind, by the collection its ID appears under (`programs`). */
  ids: Record<string, string>;
  /** Every secret handed out while setting up (API keys, client secrets, signing secrets). */
  secrets: string[];
}

export async function startWithEveryRecord(logDestination?: DestinationStream): Promise<EveryRecord> {
  const testApp = await startTestApp({
    subscribers,
    plugins: sandboxPlugins(memorySandboxStore()),
    env: {
      REFSYNC_SANDBOX: '1',
      REFSYNC_WEBHOOKS_ALLOW_PRIVATE: '1',
      REFSYNC_WEBHOOK_RETRY_SCALE: '0.001',
      ...(logDestination ? { REFSYNC_LOG_LEVEL: 'debug' } : {}),
    },
    ...(logDestination ? { logDestination } : {}),
  });
  const ownerWorkspace = await testApp.newWorkspace('owner');
  const owner = ownerWorkspace.api;
  const stranger = (await testApp.newWorkspace('stranger')).api;
  const ids: Record<string, string> = {};
  const secrets: string[] = [ownerWorkspace.key];
  const firstId = (path: string, timeoutMs = 30_000): Promise<string> =>
    eventually(async () => {
      const list = await owner.get<{ data: Array<{ id: string }> }>(path);
      return list.body.data?.[0]?.id;
    }, timeoutMs);
  const created = async (path: string, body: unknown) => {
    const answer = await owner.post<{ id: string; key?: string; secret?: string }>(path, body);
    if (answer.status !== 201) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    for (const secret of [answer.body.key, answer.body.secret]) if (secret) secrets.push(secret);
    return answer.body.id;
  };
  ids.programs = await created('/api/v1/programs', { name: 'Private' });
  ids.members = await created('/api/v1/members', { programId: ids.programs, email: 'm@example.com' });
  ids['api-keys'] = await created('/api/v1/api-keys', { name: 'second' });
  ids['webhook-endpoints'] = await created('/api/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hook' });
  const org = await SandboxSalesforce.createOrg(testApp);
  secrets.push(org.org.clientSecret, org.org.password);
  ids.connections = await org.connect(owner);
  expect((await owner.post(`/api/v1/connections/${ids.connections}/fields`, { object: 'Lead' })).status).toBe(
    200,
  );
  ids['push-settings'] = await created('/api/v1/push-settings', {
    programId: ids.programs,
    connectionId: ids.connections,
    crmObject: 'Lead',
  });
  ids['receiver-settings'] = await created('/api/v1/receiver-settings', {
    programId: ids.programs,
    connectionId: ids.connections,
  });
  ids['reward-rules'] = await created('/api/v1/reward-rules', {
    programId: ids.programs,
    name: 'Credit',
    milestone: 'won',
    recipient: 'referrer',
    amount: { type: 'fixed', currency: 'usd', amountMinor: 100 },
  });
  ids.referrals = await created('/api/v1/referrals', {
    programId: ids.programs,
    memberId: ids.members,
    lastName: 'Private',
    company: 'Owner Inc',
    email: 'r@example.com',
  });
  expect(
    (await owner.post(`/api/v1/referrals/${ids.referrals}/milestone`, { milestone: 'won' })).status,
  ).toBe(200);
  const entries = await owner.post<{ data: Array<{ id: string }> }>('/api/v1/sales-entries', {
    objectType: 'Lead',
    fields: { Status: 'x' },
  });
  ids['sales-entries'] = entries.body.data[0]?.id ?? '';
  ids.jobs = await firstId(`/api/v1/jobs?subjectId=${ids.referrals}`);
  ids['push-log'] = await firstId('/api/v1/push-log');
  ids.rewards = await firstId('/api/v1/rewards');
  ids.messages = await firstId(`/api/v1/webhook-endpoints/${ids['webhook-endpoints']}/messages`);
  ids.template = 'reward.paid';
  // A user who accepted an invitation, and an invitation still open.
  const accepted = await owner.post<{ url: string }>('/api/v1/invitations', {
    email: 'user@example.com',
    role: 'viewer',
  });
  const token = new URL(accepted.body.url).hash.replace('#token=', '');
  const welcome = await testApp.anonymous.post('/api/v1/auth/welcome', {
    token,
    password: 'a long enough passphrase 42',
  });
  expect(welcome.status, JSON.stringify(welcome.body)).toBeLessThan(300);
  ids.users = await firstId('/api/v1/users');
  ids.invitations = await created('/api/v1/invitations', { email: 'invited@example.com', role: 'viewer' });
  const capture = await owner.patch(`/api/v1/programs/${ids.programs}/capture-settings`, {
    landingUrl: 'https://shop.example/welcome',
    allowedOrigins: ['https://shop.example'],
    hostedPages: 'refer_and_join',
  });
  expect(capture.status, JSON.stringify(capture.body)).toBe(200);
  // A publishable key is public by design (it sits in a site's pages): not one of the secrets.
  const publishable = await owner.post<{ id: string; key: string }>(
    `/api/v1/programs/${ids.programs}/publishable-keys`,
    { name: 'Shop' },
  );
  expect(publishable.status).toBe(201);
  ids['publishable-keys'] = publishable.body.id;
  ids.capture = publishable.body.key;
  // A self-referral through the hosted form waits for review.
  const member = await owner.get<{ referralCode: string }>(`/api/v1/members/${ids.members}`);
  const form = await fetch(`${testApp.url}/p/${ids.programs}/refer`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      code: member.body.referralCode,
      firstName: 'Self',
      lastName: 'Referrer',
      email: 'm@example.com',
      company: 'Owner Inc',
      consent: 'yes',
    }).toString(),
    redirect: 'manual',
  });
  const formHtml = await form.text();
  expect(form.status, formHtml.slice(0, 3000)).toBeLessThan(400);
  if (!formHtml.includes('Referral sent'))
    throw new Error(
      formHtml
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 1500),
    );
  ids['capture-reviews'] = await firstId(`/api/v1/programs/${ids.programs}/capture-reviews`);
  const stripe = await owner.request('PUT', `/api/v1/programs/${ids.programs}/reward-settings`, {
    body: { stripe: { secretKey: 'sk_test_isolation_0123456789abcdef' } },
  });
  expect(stripe.status, JSON.stringify(stripe.body)).toBe(200);
  secrets.push('sk_test_isolation_0123456789abcdef');
  return { testApp, owner, ownerKey: ownerWorkspace.key, stranger, ids, secrets };
}

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: unknown;
}

/** Every API route the OpenAPI document lists (under /api/v1). */
export async function apiRoutes(
  testApp: TestApp,
): Promise<Array<{ method: string; path: string; operation: Operation }>> {
  const spec = (
    await testApp.anonymous.get<{ paths: Record<string, Record<string, Operation>> }>('/api/v1/openapi.json')
  ).body;
  return Object.entries(spec.paths)
    .filter(([path]) => path.startsWith('/api/v1/'))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operation,
      })),
    );
}

/** The path with each parameter replaced by the owner's record it names (`/programs/{id}`). */
export function concretePath(path: string, ids: Record<string, string>): string {
  return path.replace(/\/([^/]+)\/\{([^}]+)\}/g, (_whole, collection: string, name: string) => {
    const id = name === 'template' ? ids.template : ids[collection];
    if (!id) throw new Error(`${path}: no ${collection} record of the owner to try; add one to the setup`);
    return `/${collection}/${id}`;
  });
}
