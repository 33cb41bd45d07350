import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/core/crypto.ts';
import { idempotencyKeys } from '../src/db/schema.ts';
import { IDEMPOTENCY_LEASE_SECONDS, IDEMPOTENT_REQUEST_TIMEOUT_MS } from '../src/http/idempotency.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

let testApp: TestApp;
let api: ApiClient;
let workspaceId: string;
let programId: string;

beforeAll(async () => {
  testApp = await startTestApp();
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  workspaceId = workspace.id;
  programId = (await api.post<{ id: string }>('/api/v1/programs', { name: 'Lease' })).body.id;
});
afterAll(() => testApp.close());

/**
 * The row the middleware writes before the handler runs, left as it is when the process dies
 * before answering, `ageSeconds` old.
 */
async function leavePendingKey(key: string, body: Record<string, unknown>, ageSeconds: number) {
  const path = '/api/v1/referrals';
  await testApp.app.ctx.db.insert(idempotencyKeys).values({
    workspaceId,
    key,
    method: 'POST',
    path,
    requestHash: sha256Hex(`POST ${path}\n${JSON.stringify(body)}`),
    createdAt: sql`now() - make_interval(secs => ${ageSeconds})`,
  });
}

async function referralsWithEmail(email: string): Promise<number> {
  const listed = await api.get<{ data: unknown[] }>(`/api/v1/referrals?email=${encodeURIComponent(email)}`);
  return listed.body.data.length;
}

describe('an Idempotency-Key whose first request died', () => {
  it('is taken over by a retry after the lease, which creates the referral exactly once', async () => {
    const body = { programId, email: 'crashed@example.com' };
    const headers = { 'idempotency-key': 'crashed-1' };
    await leavePendingKey('crashed-1', body, IDEMPOTENCY_LEASE_SECONDS + 1);

    const retry = await api.post<{ id: string }>('/api/v1/referrals', body, headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    const again = await api.post<{ id: string }>('/api/v1/referrals', body, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(retry.body.id);
    expect(await referralsWithEmail('crashed@example.com')).toBe(1);

    const [row] = await testApp.app.ctx.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.workspaceId, workspaceId), eq(idempotencyKeys.key, 'crashed-1')));
    expect(row?.statusCode).toBe(201);
  });

  it('still answers 409 while the first request may be running (inside the lease)', async () => {
    const body = { programId, email: 'running@example.com' };
    await leavePendingKey('running-1', body, IDEMPOTENCY_LEASE_SECONDS - 5);
    const duplicate = await api.post<ErrorBody>('/api/v1/referrals', body, {
      'idempotency-key': 'running-1',
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('idempotency_key_in_use');
    expect(await referralsWithEmail('running@example.com')).toBe(0);
  });

  it('is not taken over by a request with another body', async () => {
    await leavePendingKey(
      'crashed-2',
      { programId, email: 'first@example.com' },
      IDEMPOTENCY_LEASE_SECONDS + 1,
    );
    const other = await api.post<ErrorBody>(
      '/api/v1/referrals',
      { programId, email: 'second@example.com' },
      { 'idempotency-key': 'crashed-2' },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(await referralsWithEmail('second@example.com')).toBe(0);
  });

  it('bounds a request holding a key well inside the lease', () => {
    expect(IDEMPOTENT_REQUEST_TIMEOUT_MS).toBeLessThan(IDEMPOTENCY_LEASE_SECONDS * 1000);
  });
});
