import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { providers } from '../crm/registry.ts';
import { systemFields } from '../crm/types.ts';
import { callerOf } from '../http/auth.ts';
import { noReceiverHealth, receiverHealthOf } from '../receiver/connection-state.ts';
import { askCrm } from './ask-crm.ts';
import { canWireSandbox } from './destinations.ts';
import {
  authorizeAgain,
  type ConnectionRow,
  type ConnectionView,
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  toConnectionView,
  withCrm,
} from './service.ts';

/** A CRM object's API name (`Lead`, `Custom__c`, `contacts`, `0-3`): nothing else reaches the CRM. */
export const objectName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be an object's API name (letters, digits, _ and -)");

const tags = ['connections'];
const idParams = z.object({ id: z.string() });

const connectionSchema = z.object({
  id: z.string(),
  provider: z.enum(providers),
  name: z.string(),
  status: z.enum(['pending', 'connected', 'needs_reauth']),
  accountId: z.string().nullable(),
  baseUrl: z.string(),
  authorizeBaseUrl: z.string(),
  clientId: z.string(),
  tokenExpiresAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable().describe('Last CRM call that worked'),
  lastErrorAt: z.string().nullable(),
  lastError: z
    .string()
    .nullable()
    .describe("The last error: what refsync did, with a short HTML-escaped excerpt of the CRM's answer"),
  lastEntryAt: z
    .string()
    .nullable()
    .describe(
      'When an event (outbound message, webhook) last arrived from this CRM account; polls do not move it',
    ),
  lastPollAt: z.string().nullable().describe('When the last catch-up poll of this CRM account completed'),
  lastPollFound: z
    .number()
    .int()
    .nullable()
    .describe(
      'Changes the last poll found that no event had brought; above 0 again and again, events are not arriving',
    ),
  sandbox: z
    .boolean()
    .describe(
      "The connection talks to this server's own sandbox CRM: POST /connections/{id}/sandbox-wiring sets up its side",
    ),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const crmFieldSchema = z.object({
  name: z.string(),
  label: z.string(),
  type: z.string(),
  required: z.boolean(),
  createable: z.boolean(),
  updateable: z.boolean(),
  custom: z.boolean(),
  options: z
    .array(
      z.object({
        value: z.string().describe('What records hold, and what a status trigger compares with'),
        label: z.string().describe('What people see in the CRM'),
        group: z.string().optional().describe("HubSpot deal stages: the stage's pipeline"),
      }),
    )
    .optional()
    .describe(
      'The values the CRM holds the field to: active Salesforce picklist values, HubSpot enumeration ' +
        'options, and for HubSpot deals every pipeline stage; absent for free fields',
    ),
});

/** Connections with their health, the receiver's part included. */
async function viewsOf(
  ctx: AppContext,
  rows: ConnectionRow[],
): Promise<Array<ConnectionView & { sandbox: boolean }>> {
  const receiver = await receiverHealthOf(
    ctx.db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    ...toConnectionView(row, receiver.get(row.id) ?? noReceiverHealth),
    sandbox: canWireSandbox(ctx, row),
  }));
}

async function viewOf(ctx: AppContext, row: ConnectionRow): Promise<ConnectionView & { sandbox: boolean }> {
  const [view] = await viewsOf(ctx, [row]);
  if (!view) throw new Error(`connection ${row.id} has no view`);
  return view;
}

export const connectionRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/connections',
    {
      schema: {
        tags,
        summary: 'Connect a CRM account',
        description:
          'Stores the OAuth app (client ID and secret, sealed) and answers the URL where a CRM admin consents. ' +
          'The CRM sends them back to REFSYNC_PUBLIC_URL/oauth/callback. The defaults are the real services; ' +
          'baseUrl may name another host of the real CRM (https), a base URL the operator allowed in ' +
          'REFSYNC_CRM_BASE_URLS, or a sandbox CRM mounted on this server. Anything else, and any address ' +
          'resolving to a private, loopback or link-local network, is refused.',
        body: z.object({
          provider: z.enum(providers),
          name: z.string().trim().min(1).max(100).optional(),
          clientId: z.string().min(1).max(500),
          clientSecret: z.string().min(1).max(500),
          baseUrl: z.string().url().optional(),
          authorizeBaseUrl: z.string().url().optional(),
        }),
        response: { 201: z.object({ connection: connectionSchema, authorizeUrl: z.string() }) },
      },
    },
    async (request, reply) => {
      const { connection, authorizeUrl } = await createConnection(
        ctx,
        callerOf(request).workspaceId,
        request.body,
      );
      return reply.code(201).send({ connection: await viewOf(ctx, connection), authorizeUrl });
    },
  );

  app.get(
    '/connections',
    {
      schema: {
        tags,
        summary: 'List connections and their health',
        response: { 200: z.object({ data: z.array(connectionSchema) }) },
      },
    },
    async (request) => ({
      data: await viewsOf(ctx, await listConnections(ctx.db, callerOf(request).workspaceId)),
    }),
  );

  app.get(
    '/connections/:id',
    {
      schema: {
        tags,
        summary: 'A connection and its health',
        params: idParams,
        response: { 200: connectionSchema },
      },
    },
    async (request) =>
      viewOf(ctx, await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id)),
  );

  app.post(
    '/connections/:id/authorize',
    {
      schema: {
        tags,
        summary: 'Start the consent flow again (reconnect)',
        params: idParams,
        response: { 200: z.object({ authorizeUrl: z.string() }) },
      },
    },
    async (request) => ({
      authorizeUrl: await authorizeAgain(ctx, callerOf(request).workspaceId, request.params.id),
    }),
  );

  app.delete(
    '/connections/:id',
    {
      schema: {
        tags,
        summary: 'Disconnect: forget the tokens; pushes wait until reconnected',
        params: idParams,
        response: { 200: connectionSchema },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request);
      await deleteConnection(ctx.db, workspaceId, request.params.id);
      return viewOf(ctx, await getConnection(ctx.db, workspaceId, request.params.id));
    },
  );

  app.get(
    '/connections/:id/fields',
    {
      schema: {
        tags,
        summary: "An object's fields as the CRM describes them (for mappings)",
        params: idParams,
        querystring: z.object({ object: objectName }),
        response: { 200: z.object({ data: z.array(crmFieldSchema) }) },
      },
    },
    async (request) => {
      const connection = await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id);
      const fields = await askCrm(() =>
        withCrm(ctx, connection.id, (session, crm) => crm.describe(session, request.query.object)),
      );
      return { data: fields };
    },
  );

  app.post(
    '/connections/:id/fields',
    {
      schema: {
        tags,
        summary: 'Create the fields refsync writes (referral ID, source, links) where missing',
        params: idParams,
        body: z.object({
          object: objectName,
          fields: z
            .record(z.enum(systemFields), z.string().min(1))
            .optional()
            .describe('Names to use; default refsync names'),
        }),
        response: { 200: z.object({ created: z.array(z.string()), existing: z.array(z.string()) }) },
      },
    },
    async (request) => {
      const connection = await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id);
      return askCrm(() =>
        withCrm(ctx, connection.id, async (session, crm) => {
          const object = request.body.object;
          const names = { ...crm.systemFieldNames(object), ...(request.body.fields ?? {}) };
          const present = new Set(
            (await crm.describe(session, object)).map((field) => field.name.toLowerCase()),
          );
          const created: string[] = [];
          const existing: string[] = [];
          for (const [key, name] of Object.entries(names)) {
            if (present.has(name.toLowerCase())) {
              existing.push(name);
              continue;
            }
            const label = `refsync ${key.replace(/([A-Z])/g, ' $1').toLowerCase()}`;
            const type = key.endsWith('Url') ? 'url' : key === 'sourceNote' ? 'textarea' : 'string';
            await crm.createField(session, object, { name, label, type });
            created.push(name);
          }
          return { created, existing };
        }),
      );
    },
  );
};
