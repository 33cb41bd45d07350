import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pageQuery, pageSchema } from '../core/pagination.ts';
import { callerOf } from '../http/auth.ts';
import { getProgram, programsByIds } from '../programs/service.ts';
import { createMemberBody, listMembersQuery, memberSchema, updateMemberBody } from './schemas.ts';
import { createMember, getMember, listMembers, toMemberView, updateMember } from './service.ts';

const tags = ['members'];
const idParams = z.object({ id: z.string() });

export const memberRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/members',
    {
      schema: {
        tags,
        summary: 'Create a member (referrer)',
        description:
          'Email and external ID are unique within a program, the referral code across the install (409 otherwise, naming the field).',
        body: createMemberBody,
        response: { 201: memberSchema },
      },
    },
    async (request, reply) => {
      const { member, program } = await createMember(
        ctx.db,
        ctx.queue,
        callerOf(request).workspaceId,
        request.body,
      );
      return reply.code(201).send(toMemberView(member, program, ctx.config.publicUrl));
    },
  );

  app.get(
    '/members',
    {
      schema: {
        tags,
        summary: 'List members',
        querystring: listMembersQuery.extend(pageQuery),
        response: { 200: pageSchema(memberSchema) },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request);
      const { page } = await listMembers(ctx.db, workspaceId, request.query);
      const programs = await programsByIds(
        ctx.db,
        workspaceId,
        page.data.map((member) => member.programId),
      );
      return {
        data: page.data.flatMap((member) => {
          const program = programs.get(member.programId);
          return program ? [toMemberView(member, program, ctx.config.publicUrl)] : [];
        }),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/members/:id',
    { schema: { tags, summary: 'Get a member', params: idParams, response: { 200: memberSchema } } },
    async (request) => {
      const { workspaceId } = callerOf(request);
      const member = await getMember(ctx.db, workspaceId, request.params.id);
      return toMemberView(
        member,
        await getProgram(ctx.db, workspaceId, member.programId),
        ctx.config.publicUrl,
      );
    },
  );

  app.patch(
    '/members/:id',
    {
      schema: {
        tags,
        summary: 'Update a member',
        params: idParams,
        body: updateMemberBody,
        response: { 200: memberSchema },
      },
    },
    async (request) => {
      const { member, program } = await updateMember(
        ctx.db,
        callerOf(request).workspaceId,
        request.params.id,
        request.body,
      );
      return toMemberView(member, program, ctx.config.publicUrl);
    },
  );
};
