import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../context.ts';
import { safeEqual } from '../core/crypto.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/client.ts';
import { resumeSession } from '../users/service.ts';
import { authenticate } from '../workspaces/service.ts';
import { expectedOrigins, SESSION_COOKIE, sessionCookieOf } from './cookies.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | undefined;
  }
  interface FastifyContextConfig {
    /** A write a viewer may make too (signing out, changing their own password). */
    viewerMayWrite?: boolean;
  }
}

const reads = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every route registered inside `instance` needs a caller: `Authorization: Bearer <api key>`
 * (full access to its workspace), or the console's session cookie. Cookie-authenticated
 * writes must carry the session's CSRF token in `X-CSRF-Token` and, when the browser sends
 * one, an `Origin` of this server; viewers may only read (decision 0035).
 */
export function requireCaller(instance: FastifyInstance, db: Db, publicUrl: () => string): void {
  instance.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const key = match?.[1];
      if (!key) throw new AppError('unauthorized', 'Send your API key as Authorization: Bearer <key>');
      const found = await authenticate(db, key);
      if (!found) throw new AppError('unauthorized', 'The API key is unknown or revoked');
      request.caller = { ...found, actor: `api_key:${found.apiKeyId}`, user: null };
      return;
    }
    const token = sessionCookieOf(request);
    if (!token) {
      throw new AppError('unauthorized', 'Send your API key as Authorization: Bearer <key>, or sign in');
    }
    const resumed = await resumeSession(db, token);
    if (!resumed) throw new AppError('unauthorized', 'Your session has ended; sign in again');
    const { session, user } = resumed;
    if (!reads.has(request.method)) {
      const origin = request.headers.origin;
      if (origin && !expectedOrigins(request, publicUrl()).includes(origin)) {
        throw new AppError('forbidden', `Origin ${origin} may not write with a ${SESSION_COOKIE} cookie`);
      }
      const csrf = request.headers['x-csrf-token'];
      if (typeof csrf !== 'string' || !safeEqual(csrf, session.csrfToken)) {
        throw new AppError('forbidden', 'X-CSRF-Token is missing or wrong: reload the page and try again');
      }
      if (user.role === 'viewer' && !request.routeOptions.config.viewerMayWrite) {
        throw new AppError('forbidden', 'Viewers can only look: ask an admin of the workspace to do this', {
          details: { role: user.role },
        });
      }
    }
    request.caller = {
      workspaceId: user.workspaceId,
      actor: `user:${user.id}`,
      apiKeyId: null,
      user: {
        id: user.id,
        email: user.email,
        role: user.role,
        sessionId: session.id,
        csrfToken: session.csrfToken,
      },
    };
  });
}

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new AppError('unauthorized', 'Send your API key as Authorization: Bearer <key>');
  return request.caller;
}
