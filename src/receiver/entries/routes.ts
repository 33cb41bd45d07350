import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { pageSchema } from '../../core/pagination.ts';
import { callerOf } from '../../http/auth.ts';
import {
  bulkRetryBody,
  type EntryCounts,
  editEntryBody,
  entryCountsSchema,
  entryStatuses,
  listEntriesQuery,
  reviewBody,
  salesEntryDetailSchema,
  salesEntrySchema,
} from './schemas.ts';
import {
  editEntry,
  getEntry,
  listEntries,
  retryEntries,
  retryEntry,
  reviewEntry,
  toSalesEntryView,
} from './service.ts';
import { entryCountsNow } from './stats.ts';

const entryTags = ['sales entries'];
const idParams = z.object({ id: z.string() });

/** The sales entries log: list, show, edit, retry, review. `POST /sales-entries` lives with ingest. */
export const salesEntryRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
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
    '/sales-entries/counts',
    {
      schema: {
        tags: entryTags,
        summary: 'How many entries are in each outcome now (review: waiting for a decision)',
        response: { 200: entryCountsSchema },
      },
    },
    async (request) => {
      const counts = await entryCountsNow(ctx.db, callerOf(request).workspaceId);
      return Object.fromEntries(entryStatuses.map((status) => [status, counts[status] ?? 0])) as EntryCounts;
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
