import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { callerOf } from '../http/auth.ts';
import { jobStates, listJobs, retryJob } from './jobs-service.ts';

const tags = ['jobs'];

const jobSchema = z.object({
  id: z.string(),
  queue: z.string(),
  state: z.enum(jobStates),
  eventType: z.string().nullable(),
  subjectId: z.string().nullable(),
  retryCount: z.number(),
  retryLimit: z.number(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  startAfter: z.string(),
  completedAt: z.string().nullable(),
});

export const jobRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/jobs',
    {
      schema: {
        tags,
        summary: 'Background jobs caused by this workspace’s changes, newest first',
        description: 'A failed job keeps the error of its last attempt in lastError.',
        querystring: z.object({
          state: z.enum(jobStates).optional(),
          queue: z.string().optional(),
          subjectId: z.string().optional().describe('Referral or member ID'),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ data: z.array(jobSchema) }) },
      },
    },
    async (request) => ({ data: await listJobs(ctx.db, callerOf(request).workspaceId, request.query) }),
  );

  app.post(
    '/jobs/:id/retry',
    {
      schema: {
        tags,
        summary: 'Retry a failed job now',
        params: z.object({ id: z.string() }),
        response: { 200: jobSchema },
      },
    },
    async (request) => retryJob(ctx.db, ctx.queue, callerOf(request).workspaceId, request.params.id),
  );
};
