import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { callerOf } from '../http/auth.ts';
import { apiKeySchema, createdApiKeySchema, workspaceSchema } from './schemas.ts';
import { type ApiKey, createApiKey, getWorkspace, listApiKeys, revokeApiKey } from './service.ts';

const tags = ['workspace'];

function toApiKeyView(apiKey: ApiKey) {
  return {
    ...apiKey,
    createdAt: apiKey.createdAt.toISOString(),
    lastUsedAt: apiKey.lastUsedAt?.toISOString() ?? null,
    revokedAt: apiKey.revokedAt?.toISOString() ?? null,
  };
}

export const workspaceRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/workspace',
    {
      schema: {
        tags,
        summary: "The API key's workspace",
        response: { 200: workspaceSchema },
      },
    },
    async (request) => {
      const workspace = await getWorkspace(ctx.db, callerOf(request).workspaceId);
      return { ...workspace, createdAt: workspace.createdAt.toISOString() };
    },
  );

  app.get(
    '/api-keys',
    {
      schema: {
        tags,
        summary: 'List API keys',
        response: { 200: z.object({ data: z.array(apiKeySchema) }) },
      },
    },
    async (request) => ({
      data: (await listApiKeys(ctx.db, callerOf(request).workspaceId)).map(toApiKeyView),
    }),
  );

  app.post(
    '/api-keys',
    {
      schema: {
        tags,
        summary: 'Create an API key',
        description: 'The key is in this answer only; refsync keeps just its hash.',
        body: z.object({ name: z.string().trim().min(1).max(100) }),
        response: { 201: createdApiKeySchema },
      },
    },
    async (request, reply) => {
      const { apiKey, key } = await createApiKey(ctx.db, callerOf(request).workspaceId, request.body.name);
      return reply.code(201).send({ ...toApiKeyView(apiKey), key });
    },
  );

  app.delete(
    '/api-keys/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API key',
        params: z.object({ id: z.string() }),
        response: { 200: apiKeySchema },
      },
    },
    async (request) =>
      toApiKeyView(await revokeApiKey(ctx.db, callerOf(request).workspaceId, request.params.id)),
  );
};
