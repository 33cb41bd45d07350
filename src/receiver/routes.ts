import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pageSchema } from '../core/pagination.ts';
import { callerOf } from '../http/auth.ts';
import {
  editEntry,
  getEntry,
  listEntries,
  retryEntries,
  retryEntry,
  reviewEntry,
  toSalesEntryView,
} from './process/entries-service.ts';
import {
  bulkRetryBody,
  editEntryBody,
  listEntriesQuery,
  reviewBody,
  salesEntryDetailSchema,
  salesEntrySchema,
} from './process/entry-schemas.ts';
import {
  createReceiverSettingsBody,
  receiverSettingsSchema,
  updateReceiverSettingsBody,
} from './process/settings-schemas.ts';
import {
  createReceiverSettings,
  getReceiverSettings,
  listReceiverSettings,
  toReceiverSettingsView,
  updateReceiverSettings,
} from './process/settings-service.ts';

const settingsTags = ['sales receiver settings'];
const entryTags = ['sales entries'];
const idParams = z.object({ id: z.string() });

/** Receiver settings and the sales entries log (review, edit, retry). `POST /sales-entries` lives with ingest. */
export const receiverRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
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

  app.get(
    '/sales-entries',
    {
      schema: {
        tags: entryTags,
        summary: 'Every received CRM event and what became of it, newest first',
        querystring: listEntriesQuery,
        response: { 200: pageSchema(salesEntrySchema) },
      },
    },
    async (request) => {
      const page = await listEntries(ctx.db, callerOf(request).workspaceId, request.query);
      return { data: page.data.map(toSalesEntryView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/sales-entries/:id',
    {
      schema: {
        tags: entryTags,
        summary:
          'One sales entry: raw payload, normalized record, related records, match, trigger, changes, reason',
        params: idParams,
        response: { 200: salesEntryDetailSchema },
      },
    },
    async (request) => {
      const row = await getEntry(ctx.db, callerOf(request).workspaceId, request.params.id);
      return { ...toSalesEntryView(row), rawPayload: row.rawPayload };
    },
  );

  app.patch(
    '/sales-entries/:id',
    {
      schema: {
        tags: entryTags,
        summary: 'Correct the fields of an entry (then retry it)',
        params: idParams,
        body: editEntryBody,
        response: { 200: salesEntrySchema },
      },
    },
    async (request) =>
      toSalesEntryView(
        await editEntry(ctx.db, callerOf(request).workspaceId, request.params.id, request.body.fields),
      ),
  );

  app.post(
    '/sales-entries/:id/retry',
    {
      schema: {
        tags: entryTags,
        summary: 'Process this entry again with its current fields and the current settings',
        params: idParams,
        response: { 202: salesEntrySchema },
      },
    },
    async (request, reply) => {
      const row = await retryEntry(ctx, callerOf(request).workspaceId, request.params.id);
      return reply.code(202).send(toSalesEntryView(row));
    },
  );

  app.post(
    '/sales-entries/retry',
    {
      schema: {
        tags: entryTags,
        summary: 'Process entries again in bulk (e.g. after a rule change); up to 1000 per call',
        body: bulkRetryBody,
        response: { 202: z.object({ queued: z.number() }) },
      },
    },
    async (request, reply) => {
      const queued = await retryEntries(ctx, callerOf(request).workspaceId, request.body);
      return reply.code(202).send({ queued });
    },
  );

  app.post(
    '/sales-entries/:id/review',
    {
      schema: {
        tags: entryTags,
        summary: 'Decide an entry in review: approve applies what was held, reject ends it ignored',
        params: idParams,
        body: reviewBody,
        response: { 200: salesEntrySchema },
      },
    },
    async (request) =>
      toSalesEntryView(
        await reviewEntry(
          ctx,
          callerOf(request),
          request.params.id,
          request.body.decision,
          request.body.note,
        ),
      ),
  );
};
