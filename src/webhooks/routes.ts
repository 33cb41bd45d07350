import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pageQuery } from '../core/pagination.ts';
import { callerOf } from '../http/auth.ts';
import { webhookEventTypes } from './payloads.ts';
import {
  createEndpoint,
  deleteEndpoint,
  type EndpointRow,
  getEndpoint,
  getMessage,
  listEndpoints,
  listMessages,
  type MessageRow,
  replayFailed,
  replayMessage,
  rotateSecret,
  updateEndpoint,
} from './service.ts';

const tags = ['webhooks'];
const idParams = z.object({ id: z.string() });
const messageParams = z.object({ id: z.string(), messageId: z.string() });

const eventTypeList = z
  .array(z.enum(webhookEventTypes as [string, ...string[]]))
  .max(50)
  .describe('Event types sent to this endpoint; empty or absent: every type');

const endpointBody = z.object({
  url: z.string().max(2000).describe('http(s) URL that receives a POST per event'),
  description: z.string().max(500).nullable().optional(),
  eventTypes: eventTypeList.optional(),
  enabled: z.boolean().optional(),
});

const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  failingSince: z.string().nullable(),
  createdAt: z.string(),
});
const withSecret = endpointSchema.extend({
  secret: z.string().describe('The signing secret (whsec_...). Shown only in this answer.'),
});

const messageSchema = z.object({
  id: z.string().describe('The `webhook-id` header of every attempt'),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});
const attemptSchema = z.object({
  round: z.number().describe('0 for the first delivery, raised by each replay'),
  attempt: z.number(),
  statusCode: z.number().nullable(),
  success: z.boolean(),
  error: z.string().nullable(),
  durationMs: z.number(),
  responseExcerpt: z.string().nullable().describe('The first 1 KB of the answer'),
  createdAt: z.string(),
});

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function endpointView(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    failingSince: iso(row.failingSince),
    createdAt: row.createdAt.toISOString(),
  };
}

function messageView(row: MessageRow) {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: iso(row.nextAttemptAt),
    deliveredAt: iso(row.deliveredAt),
    createdAt: row.createdAt.toISOString(),
  };
}

export const webhookRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Send events to a URL, signed per Standard Webhooks',
        description:
          'The answer holds the signing secret, shown only once. Private, loopback and link-local ' +
          'destinations are refused unless the operator set REFSYNC_WEBHOOKS_ALLOW_PRIVATE=1.',
        body: endpointBody,
        response: { 201: withSecret },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await createEndpoint(ctx, callerOf(request).workspaceId, request.body);
      return reply.code(201).send({ ...endpointView(endpoint), secret });
    },
  );

  app.get(
    '/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'List webhook endpoints',
        response: { 200: z.object({ data: z.array(endpointSchema) }) },
      },
    },
    async (request) => ({
      data: (await listEndpoints(ctx, callerOf(request).workspaceId)).map(endpointView),
    }),
  );

  app.get(
    '/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook endpoint',
        params: idParams,
        response: { 200: endpointSchema },
      },
    },
    async (request) => endpointView(await getEndpoint(ctx, callerOf(request).workspaceId, request.params.id)),
  );

  app.patch(
    '/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Change a webhook endpoint (enabling it again restarts the 5-day count)',
        params: idParams,
        body: endpointBody.partial(),
        response: { 200: endpointSchema },
      },
    },
    async (request) =>
      endpointView(await updateEndpoint(ctx, callerOf(request).workspaceId, request.params.id, request.body)),
  );

  app.delete(
    '/webhook-endpoints/:id',
    { schema: { tags, summary: 'Delete a webhook endpoint and its delivery log', params: idParams } },
    async (request, reply) => {
      await deleteEndpoint(ctx, callerOf(request).workspaceId, request.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/webhook-endpoints/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Replace the signing secret; the old one keeps signing for 24 hours',
        params: idParams,
        response: { 200: withSecret },
      },
    },
    async (request) => {
      const { endpoint, secret } = await rotateSecret(ctx, callerOf(request).workspaceId, request.params.id);
      return { ...endpointView(endpoint), secret };
    },
  );

  app.get(
    '/webhook-endpoints/:id/messages',
    {
      schema: {
        tags,
        summary: "The endpoint's messages, newest first",
        params: idParams,
        querystring: z.object({
          status: z.enum(['pending', 'delivered', 'failed']).optional(),
          ...pageQuery,
        }),
        response: { 200: z.object({ data: z.array(messageSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const page = await listMessages(ctx, callerOf(request).workspaceId, request.params.id, request.query);
      return { data: page.data.map(messageView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/webhook-endpoints/:id/messages/:messageId',
    {
      schema: {
        tags,
        summary: 'One message with its body and every attempt',
        params: messageParams,
        response: { 200: messageSchema.extend({ body: z.string(), attemptLog: z.array(attemptSchema) }) },
      },
    },
    async (request) => {
      const { message, attempts } = await getMessage(
        ctx,
        callerOf(request).workspaceId,
        request.params.id,
        request.params.messageId,
      );
      return {
        ...messageView(message),
        body: message.body,
        attemptLog: attempts.map((attempt) => ({
          round: attempt.round,
          attempt: attempt.attempt,
          statusCode: attempt.statusCode,
          success: attempt.success,
          error: attempt.error,
          durationMs: attempt.durationMs,
          responseExcerpt: attempt.responseExcerpt,
          createdAt: attempt.createdAt.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/webhook-endpoints/:id/messages/:messageId/replay',
    {
      schema: {
        tags,
        summary: 'Send one message again (same webhook-id), on the full retry schedule',
        params: messageParams,
        response: { 202: z.object({ replayed: z.number() }) },
      },
    },
    async (request, reply) => {
      const { id, messageId } = request.params;
      await replayMessage(ctx, callerOf(request).workspaceId, id, messageId);
      return reply.code(202).send({ replayed: 1 });
    },
  );

  app.post(
    '/webhook-endpoints/:id/replay-failed',
    {
      schema: {
        tags,
        summary: 'Send again every failed message created since a time',
        params: idParams,
        body: z.object({ since: z.iso.datetime({ offset: true }).describe('ISO 8601 time') }),
        response: { 202: z.object({ replayed: z.number() }) },
      },
    },
    async (request, reply) => {
      const replayed = await replayFailed(
        ctx,
        callerOf(request).workspaceId,
        request.params.id,
        new Date(request.body.since),
      );
      return reply.code(202).send({ replayed });
    },
  );
};
