import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '../core/crypto.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/client.ts';
import { idempotencyKeys } from '../db/schema.ts';

/** How long a key is remembered. */
const keyLifetimeMs = 24 * 3600 * 1000;

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
 */
export function supportIdempotency(instance: FastifyInstance, db: Db): void {
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
    if (reply.statusCode >= 500 || typeof payload !== 'string') {
      await db.delete(idempotencyKeys).where(where);
    } else {
      await db
        .update(idempotencyKeys)
        .set({ statusCode: reply.statusCode, responseBody: payload })
        .where(where);
    }
    return payload;
  });
}
