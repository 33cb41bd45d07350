import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.ts';
import { unsubscribes } from './tables.ts';
import { escapeHtml } from './templates.ts';

function readToken(ctx: AppContext, token: string): { workspaceId: string; email: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(ctx.secrets.open(token));
    if (typeof parsed === 'object' && parsed !== null && 'w' in parsed && 'e' in parsed) {
      const { w, e } = parsed;
      if (typeof w === 'string' && typeof e === 'string') return { workspaceId: w, email: e };
    }
  } catch {
    // A token refsync did not seal: answered as unknown below.
  }
  return undefined;
}

const page = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Email preferences</title></head><body style="font-family:sans-serif;max-width:36rem;margin:3rem auto">${body}</body></html>`;

/**
 * The page behind each email's unsubscribe link, and the one-click POST mail clients send
 * (RFC 8058). The token is sealed by refsync, so nobody can unsubscribe an address by guessing.
 */
export const unsubscribeRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );

  app.get<{ Querystring: { token?: string } }>(
    '/unsubscribe',
    { schema: { hide: true } },
    async (request, reply) => {
      const who = readToken(ctx, request.query.token ?? '');
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      if (!who) return reply.code(404).send(page('<p>This unsubscribe link is not valid.</p>'));
      return page(
        `<p>Stop emails to <strong>${escapeHtml(who.email)}</strong>?</p>` +
          `<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      );
    },
  );

  app.post<{ Querystring: { token?: string } }>(
    '/unsubscribe',
    { schema: { hide: true } },
    async (request, reply) => {
      const who = readToken(ctx, request.query.token ?? '');
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      if (!who) return reply.code(404).send(page('<p>This unsubscribe link is not valid.</p>'));
      await ctx.db
        .insert(unsubscribes)
        .values({ workspaceId: who.workspaceId, email: who.email })
        .onConflictDoNothing();
      return page(
        `<p><strong>${escapeHtml(who.email)}</strong> will receive no more emails from this program.</p>`,
      );
    },
  );
};
