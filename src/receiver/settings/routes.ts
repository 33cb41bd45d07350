import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { callerOf } from '../../http/auth.ts';
import { createReceiverSettingsBody, receiverSettingsSchema, updateReceiverSettingsBody } from './schemas.ts';
import {
  createReceiverSettings,
  getReceiverSettings,
  listReceiverSettings,
  toReceiverSettingsView,
  updateReceiverSettings,
} from './service.ts';

const settingsTags = ['sales receiver settings'];
const idParams = z.object({ id: z.string() });

/** Receiver settings: how one connection's CRM events move one program's referrals. */
export const receiverSettingsRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/receiver-settings',
    {
      schema: {
        tags: settingsTags,
        summary: "How one connection's CRM events (or API entries) move one program's referrals",
        description:
          'Status triggers, field updates, target and member matching, process rules. Milestone codes, field ' +
          'update targets and object names are checked; errors name the field (statusTriggers.1.milestone).',
        body: createReceiverSettingsBody,
        response: { 201: receiverSettingsSchema },
      },
    },
    async (request, reply) => {
      const row = await createReceiverSettings(ctx, callerOf(request).workspaceId, request.body);
      return reply.code(201).send(toReceiverSettingsView(row));
    },
  );

  app.get(
    '/receiver-settings',
    {
      schema: {
        tags: settingsTags,
        summary: 'List receiver settings',
        querystring: z.object({ programId: z.string().optional(), connectionId: z.string().optional() }),
        response: { 200: z.object({ data: z.array(receiverSettingsSchema) }) },
      },
    },
    async (request) => ({
      data: (await listReceiverSettings(ctx.db, callerOf(request).workspaceId, request.query)).map(
        toReceiverSettingsView,
      ),
    }),
  );

  app.get(
    '/receiver-settings/:id',
    {
      schema: {
        tags: settingsTags,
        summary: 'Get receiver settings',
        params: idParams,
        response: { 200: receiverSettingsSchema },
      },
    },
    async (request) =>
      toReceiverSettingsView(
        await getReceiverSettings(ctx.db, callerOf(request).workspaceId, request.params.id),
      ),
  );

  app.patch(
    '/receiver-settings/:id',
    {
      schema: {
        tags: settingsTags,
        summary: 'Change receiver settings (retry entries afterwards to apply the new rules)',
        params: idParams,
        body: updateReceiverSettingsBody,
        response: { 200: receiverSettingsSchema },
      },
    },
    async (request) =>
      toReceiverSettingsView(
        await updateReceiverSettings(ctx, callerOf(request).workspaceId, request.params.id, request.body),
      ),
  );
};
