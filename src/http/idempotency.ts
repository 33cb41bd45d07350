import { and, eq, isNull, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '../core/crypto.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/client.ts';
import { idempotencyKeys } from './tables.ts';

/** How long a key is remembered. */
const keyLifetimeMs = 24 * 3600 * 1000;

/**
 * How long an unanswered key stays reserved for the request that took it. A process that dies
 * mid-request never finishes its row; past the lease, a retry with the same key and body
 * takes the row over and runs.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 60;

/**
 * The longest a request holding a key may run: well inside the lease, so a request still
 * running is never taken over by a retry.
 */
export const IDEMPOTENT_REQUEST_TIMEOUT_MS = 30_000;

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyKey: string | undefined;
  }
}

/**
 * `Idempotency-Key` on a POST: the first request with a key runs and its answer (anything
 * below 500) is stored; later requests with the same key and body get that answer again,
 * with `Idempotent-Replayed: true`. The same key with another body or path is a 422; a
 * repeat while the first is still running is a 409. A 5xx forgets the key so a retry runs.
 * A key whose first request died with its process is free again after the lease.
 */
export function supportIdempotency(instance: FastifyInstance, db: Db): void {
  instance.addHook('onRoute', (route) => {
    route.handlerTimeout ??= IDEMPOTENT_REQUEST_TIMEOUT_MS;
  });
  instance.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || typeof key !== 'string') return;
    if (key.length < 1 || key.length > 255) {
      throw new AppError('validation_failed', 'Idempotency-Key: must be 1 to 255 characters', {
        details: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 characters' }],
      });
    }
    const caller = request.caller;
    if (!caller) return;
    const path = request.url.split('?')[0] ?? request.url;
    const requestHash = sha256Hex(`${request.method} ${path}\n${JSON.stringify(request.body ?? null)}`);
    const where = and(eq(idempotencyKeys.workspaceId, caller.workspaceId), eq(idempotencyKeys.key, key));
    await db
      .delete(idempotencyKeys)
      .where(and(where, sql`${idempotencyKeys.createdAt} < ${new Date(Date.now() - keyLifetimeMs)}`));
    const inserted = await db
      .insert(idempotencyKeys)
      .values({ workspaceId: caller.workspaceId, key, method: request.method, path, requestHash })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) {
      request.idempotencyKey = key;
      return;
    }
    // Conditional, so of two retries racing for an abandoned key only one gets it.
    const takenOver = await db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now()` })
      .where(
        and(
          where,
          isNull(idempotencyKeys.statusCode),
          eq(idempotencyKeys.requestHash, requestHash),
          sql`${idempotencyKeys.createdAt} < now() - make_interval(secs => ${IDEMPOTENCY_LEASE_SECONDS})`,
        ),
      )
      .returning({ key: idempotencyKeys.key });
    if (takenOver.length > 0) {
      request.idempotencyKey = key;
      return;
    }
    const [stored] = await db.select().from(idempotencyKeys).where(where);
    if (!stored)
      throw new AppError('idempotency_key_in_use', 'Idempotency-Key: retry in a moment', { retryable: true });
    if (stored.requestHash !== requestHash) {
      throw new AppError(
        'idempotency_key_reused',
        'Idempotency-Key: this key was used for a different request; use a new key for a new request',
        { details: [{ field: 'Idempotency-Key', message: 'used before with a different request' }] },
      );
    }
    if (stored.statusCode === null || stored.responseBody === null) {
      throw new AppError(
        'idempotency_key_in_use',
        'Idempotency-Key: the first request with this key is still running',
        {
          retryable: true,
        },
      );
    }
    reply.header('idempotent-replayed', 'true');
    reply.code(stored.statusCode).type('application/json; charset=utf-8');
    return reply.send(stored.responseBody);
  });

  instance.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey;
    const caller = request.caller;
    if (!key || !caller) return payload;
    const where = and(eq(idempotencyKeys.workspaceId, caller.workspaceId), eq(idempotencyKeys.key, key));
    // A timed-out handler may still be running, so its key stays reserved until the lease ends.
    const timedOut =
      (request.signal.reason as { code?: unknown } | undefined)?.code === 'FST_ERR_HANDLER_TIMEOUT';
    if (timedOut) return payload;
    try {
      if (reply.statusCode >= 500 || typeof payload !== 'string') {
        await db.delete(idempotencyKeys).where(where);
      } else {
        await db
          .update(idempotencyKeys)
          .set({ statusCode: reply.statusCode, responseBody: payload })
          .where(where);
      }
    } catch (error) {
      // The answer stands; an unfinished key frees itself after the lease.
      request.log.warn({ err: error }, 'could not record the idempotency key outcome');
    }
    return payload;
  });
}
