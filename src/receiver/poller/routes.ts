import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getConnection } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../core/errors.ts';
import { callerOf } from '../../http/auth.ts';
import { requestPoll } from './scheduler.ts';

export const pollerRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/connections/:id/poll',
    {
      schema: {
        tags: ['connections'],
        summary: 'Poll the CRM for changes now',
        description:
          'Queues a catch-up poll of the connection: records of the objects its receiver settings name, ' +
          'modified since its cursor, become sales entries (source `poll`), as the scheduled poll does every ' +
          'REFSYNC_POLL_INTERVAL_SECONDS. `jobId` is null when a poll of this connection is already waiting.',
        params: z.object({ id: z.string() }),
        response: {
          202: z.object({
            connectionId: z.string(),
            jobId: z.string().nullable().describe('The receiver.poll job; null when one was already waiting'),
          }),
        },
      },
    },
    async (request, reply) => {
      const connection = await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id);
      if (connection.status !== 'connected') {
        throw new AppError(
          'conflict',
          `Connection ${connection.id} is ${connection.status}; connect it before polling it.`,
        );
      }
      const jobId = await requestPoll(ctx, connection);
      return reply.code(202).send({ connectionId: connection.id, jobId });
    },
  );
};
