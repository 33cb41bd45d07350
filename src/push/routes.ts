import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pageQuery, pageSchema } from '../core/pagination.ts';
import { callerOf } from '../http/auth.ts';
import { listPushLog, retryEntry, retryFailed, toPushLogView } from './log-service.ts';
import {
  createPushSettingsBody,
  pushLogSchema,
  pushSettingsSchema,
  updatePushSettingsBody,
} from './schemas.ts';
import {
  createPushSettings,
  getPushSettings,
  listPushSettings,
  toPushSettingsView,
  updatePushSettings,
} from './settings-service.ts';

const tags = ['referral add'];
const idParams = z.object({ id: z.string() });

export const pushRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/push-settings',
    {
      schema: {
        tags,
        summary: "Push a program's referrals (or members) into a connected CRM",
        description:
          'Checked against the CRM field list before saving: unknown fields, type mismatches and unmapped required ' +
          'fields are rejected naming the field.',
        body: createPushSettingsBody,
        response: { 201: pushSettingsSchema },
      },
    },
    async (request, reply) => {
      const settings = await createPushSettings(ctx, callerOf(request).workspaceId, request.body);
      return reply.code(201).send(toPushSettingsView(settings));
    },
  );

  app.get(
    '/push-settings',
    {
      schema: {
        tags,
        summary: 'List push settings',
        querystring: z.object({ programId: z.string().optional() }),
        response: { 200: z.object({ data: z.array(pushSettingsSchema) }) },
      },
    },
    async (request) => ({
      data: (await listPushSettings(ctx.db, callerOf(request).workspaceId, request.query.programId)).map(
        toPushSettingsView,
      ),
    }),
  );

  app.get(
    '/push-settings/:id',
    {
      schema: { tags, summary: 'Get push settings', params: idParams, response: { 200: pushSettingsSchema } },
    },
    async (request) =>
      toPushSettingsView(await getPushSettings(ctx.db, callerOf(request).workspaceId, request.params.id)),
  );

  app.patch(
    '/push-settings/:id',
    {
      schema: {
        tags,
        summary: 'Change push settings (checked against the CRM again)',
        params: idParams,
        body: updatePushSettingsBody,
        response: { 200: pushSettingsSchema },
      },
    },
    async (request) =>
      toPushSettingsView(
        await updatePushSettings(ctx, callerOf(request).workspaceId, request.params.id, request.body),
      ),
  );

  app.get(
    '/push-log',
    {
      schema: {
        tags,
        summary: 'Every attempt to write to a CRM, newest first',
        querystring: z
          .object({
            subjectId: z.string().optional().describe('Referral or member ID'),
            settingsId: z.string().optional(),
            connectionId: z.string().optional(),
            action: z.enum(['created', 'updated', 'skipped', 'denied', 'failed', 'waiting']).optional(),
          })
          .extend(pageQuery),
        response: { 200: pageSchema(pushLogSchema) },
      },
    },
    async (request) => {
      const page = await listPushLog(ctx.db, callerOf(request).workspaceId, request.query);
      return { data: page.data.map(toPushLogView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/push-log/:id/retry',
    {
      schema: {
        tags,
        summary: "Push this entry's referral or member again",
        params: idParams,
        response: { 202: z.object({ queued: z.number() }) },
      },
    },
    async (request, reply) => {
      await retryEntry(ctx, callerOf(request).workspaceId, request.params.id);
      return reply.code(202).send({ queued: 1 });
    },
  );

  app.post(
    '/push-log/retry-failed',
    {
      schema: {
        tags,
        summary: 'Push again everything whose last attempt failed or waited',
        body: z.object({ settingsId: z.string().optional() }),
        response: { 202: z.object({ queued: z.number() }) },
      },
    },
    async (request, reply) => {
      const queued = await retryFailed(ctx, callerOf(request).workspaceId, request.body.settingsId);
      return reply.code(202).send({ queued });
    },
  );
};
