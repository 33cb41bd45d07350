import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pageQuery, pageSchema } from '../core/pagination.ts';
import { callerOf } from '../http/auth.ts';
import { createProgramBody, programSchema, updateProgramBody } from './schemas.ts';
import { createProgram, getProgram, listPrograms, toProgramView, updateProgram } from './service.ts';

const tags = ['programs'];
const idParams = z.object({ id: z.string() });

export const programRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/programs',
    {
      schema: {
        tags,
        summary: 'Create a program',
        body: createProgramBody,
        response: { 201: programSchema },
      },
    },
    async (request, reply) => {
      const program = await createProgram(ctx.db, callerOf(request).workspaceId, request.body);
      return reply.code(201).send(toProgramView(program));
    },
  );

  app.get(
    '/programs',
    {
      schema: {
        tags,
        summary: 'List programs',
        querystring: z.object(pageQuery),
        response: { 200: pageSchema(programSchema) },
      },
    },
    async (request) => listPrograms(ctx.db, callerOf(request).workspaceId, request.query),
  );

  app.get(
    '/programs/:id',
    { schema: { tags, summary: 'Get a program', params: idParams, response: { 200: programSchema } } },
    async (request) =>
      toProgramView(await getProgram(ctx.db, callerOf(request).workspaceId, request.params.id)),
  );

  app.patch(
    '/programs/:id',
    {
      schema: {
        tags,
        summary: 'Update a program',
        description: 'Milestones that referrals are at cannot be removed (409).',
        params: idParams,
        body: updateProgramBody,
        response: { 200: programSchema },
      },
    },
    async (request) =>
      toProgramView(
        await updateProgram(ctx.db, callerOf(request).workspaceId, request.params.id, request.body),
      ),
  );
};
