import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { clearAlerts } from './alerts.ts';
import { completeAuthorization, OAuthCallbackError } from './authorization.ts';
import { escapeHtml, excerpt } from './foreign-text.ts';

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:40rem;margin:3rem auto"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p><p><a href="/connections">Back to the connections in the console</a></p></body></html>`;
}

/**
 * Where the CRM sends the person back after consent. Public (no API key): the single-use
 * `state` is what ties the answer to a workspace and a connection.
 */
export const oauthCallbackRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/oauth/callback',
    {
      schema: {
        tags: ['connections'],
        summary: 'OAuth redirect target',
        security: [],
        querystring: z.object({
          code: z.string().optional(),
          state: z.string().optional(),
          error: z.string().optional(),
          error_description: z.string().optional(),
        }),
      },
    },
    async (request, reply) => {
      const { code, state, error, error_description: description } = request.query;
      reply.type('text/html; charset=utf-8');
      if (error) {
        return reply
          .code(400)
          .send(page('The CRM did not connect', excerpt(`${error}: ${description ?? 'no description'}`)));
      }
      if (!code || !state) {
        return reply.code(400).send(page('The CRM did not connect', 'The answer has no code or state.'));
      }
      try {
        const { connection, reconnected } = await completeAuthorization(ctx, state, code);
        await ctx.db.transaction(async (tx) => {
          if (reconnected) {
            await ctx.queue.emit(tx, {
              workspaceId: connection.workspaceId,
              type: 'connection.reconnected',
              subjectId: connection.id,
              payload: { connectionId: connection.id },
            });
          }
          // The CRM accepts refsync again: the alert that asked for a reconnect has ended.
          await clearAlerts(ctx, connection.id, { code: 'connection_needs_reauth' }, tx);
        });
        // On to the connection's page in the console, which says it worked (decision 0050).
        const next = `/connections/${encodeURIComponent(connection.id)}?connected=1`;
        return reply.send(
          `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escapeHtml(next)}"><title>Connected</title></head><body style="font-family:sans-serif;max-width:40rem;margin:3rem auto"><h1>Connected</h1><p>${escapeHtml(`${connection.name} (account ${connection.accountId ?? ''}) is connected to refsync.`)}</p><p><a href="${escapeHtml(next)}">Open the connection in the console</a></p></body></html>`,
        );
      } catch (failure) {
        if (failure instanceof OAuthCallbackError) {
          return reply.code(400).send(page('The CRM did not connect', failure.message));
        }
        throw failure;
      }
    },
  );
};
