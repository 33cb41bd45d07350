import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../context.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/client.ts';
import { authenticate } from '../workspaces/service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | undefined;
  }
}

/** Every route registered inside `instance` needs `Authorization: Bearer <api key>`. */
export function requireApiKey(instance: FastifyInstance, db: Db): void {
  instance.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const key = match?.[1];
    if (!key) throw new AppError('unauthorized', 'Send your API key as Authorization: Bearer <key>');
    const caller = await authenticate(db, key);
    if (!caller) throw new AppError('unauthorized', 'The API key is unknown or revoked');
    request.caller = caller;
  });
}

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new AppError('unauthorized', 'Send your API key as Authorization: Bearer <key>');
  return request.caller;
}
