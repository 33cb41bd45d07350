import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { validationFailed } from '../core/errors.ts';
import { ownValue, textProblem } from '../core/outside-input.ts';
import { connectors } from '../crm/registry.ts';
import type { CrmConnector } from '../crm/types.ts';
import { callerOf } from '../http/auth.ts';
import { canonicalObject } from '../receiver/process/objects.ts';
import { askCrm } from './ask-crm.ts';
import { objectName } from './routes.ts';
import { getConnection, withCrm } from './service.ts';

/**
 * What the console's pickers read from a connection's CRM: the objects refsync works with,
 * campaigns, and records a person searches for (the dry run). Provider differences live in
 * the connectors; nothing here knows which CRM it talks to.
 */

const tags = ['connections'];
const idParams = z.object({ id: z.string() });

/** Most campaigns one answer lists, and most records one search finds. */
const CAMPAIGN_LIMIT = 50;
const RECORD_LIMIT = 20;

const searchText = z
  .string()
  .trim()
  .max(200)
  .superRefine((text, context) => {
    const problem = textProblem(text);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });

const objectSchema = z.object({
  name: z.string().describe('API name, as push and receiver settings take it'),
  label: z.string(),
  pushable: z.boolean().describe('Referrals and members can be pushed as this object (push settings)'),
  triggerable: z
    .boolean()
    .describe('Receiver settings can name it (status triggers, target match, field updates)'),
});

const campaignSchema = z.object({
  id: z.string().describe('What push settings take as campaignId'),
  name: z.string(),
  status: z.string().optional(),
});

const recordSchema = z.object({
  object: z.string(),
  id: z.string(),
  label: z.string().describe("The record's name (or email, or ID when it has none)"),
  email: z.string().nullable(),
  url: z.string().nullable().describe('Where a person opens the record in the CRM'),
});

/** The objects of a CRM refsync knows, pushable ones first. */
function objectsOf(connector: CrmConnector) {
  const { objects, pushObjects } = connector;
  const names = [...new Set([...pushObjects, ...objects.relatable])];
  return names.map((name) => ({
    name,
    label: ownValue(objects.labels, name) ?? name,
    pushable: pushObjects.includes(name),
    triggerable: objects.relatable.includes(name),
  }));
}

/** The object's one spelling (`deal` is `deals`), refused when the CRM allows only known ones. */
function knownObject(connector: CrmConnector, name: string): string {
  const canonical = canonicalObject(connector.provider, name);
  const { names, relatable } = connector.objects;
  if (names.kind === 'known' && !relatable.includes(canonical)) {
    throw validationFailed([
      { field: 'object', message: `must be one of ${relatable.join(', ')} for ${connector.names.crm}` },
    ]);
  }
  return canonical;
}

export const connectionLookupRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/connections/:id/objects',
    {
      schema: {
        tags,
        summary: 'The CRM objects refsync pushes to and receives from',
        description:
          "From refsync's knowledge of the CRM (no CRM call): the objects push settings take as crmObject " +
          '(`pushable`) and the ones receiver settings can name (`triggerable`).',
        params: idParams,
        response: { 200: z.object({ data: z.array(objectSchema) }) },
      },
    },
    async (request) => {
      const connection = await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id);
      return { data: objectsOf(connectors[connection.provider]) };
    },
  );

  app.get(
    '/connections/:id/campaigns',
    {
      schema: {
        tags,
        summary: 'Campaigns a push can add records to',
        description:
          `Salesforce: Campaign records whose name holds \`q\` (all without it), by name, at most ${CAMPAIGN_LIMIT}. ` +
          'HubSpot: always an empty list, since refsync adds HubSpot contacts to no campaign ' +
          '(push settings for HubSpot refuse a campaignId).',
        params: idParams,
        querystring: z.object({ q: searchText.optional().describe('Part of the campaign name') }),
        response: { 200: z.object({ data: z.array(campaignSchema) }) },
      },
    },
    async (request) => {
      const connection = await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id);
      if (!connectors[connection.provider].campaigns) return { data: [] };
      const data = await askCrm(() =>
        withCrm(ctx, connection.id, (session, crm) =>
          crm.campaigns ? crm.campaigns(session, request.query.q ?? '', CAMPAIGN_LIMIT) : Promise.resolve([]),
        ),
      );
      return { data };
    },
  );

  app.get(
    '/connections/:id/records',
    {
      schema: {
        tags,
        summary: 'Find CRM records by email, name or ID (for the dry run)',
        description:
          "By ID when `q` looks like one of the CRM's record IDs, else by email (or part of it) and name; " +
          `newest first, at most ${RECORD_LIMIT} in all. Without \`object\`, the CRM's person objects ` +
          '(Salesforce Lead and Contact, HubSpot contacts) are searched. Without `q`, nothing is searched.',
        params: idParams,
        querystring: z.object({
          object: objectName.optional().describe('Lead, Contact, Opportunity, contacts, deals, ...'),
          q: searchText.optional().describe('Email, name or record ID'),
        }),
        response: { 200: z.object({ data: z.array(recordSchema) }) },
      },
    },
    async (request) => {
      const connection = await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id);
      const connector = connectors[connection.provider];
      const objects =
        request.query.object === undefined
          ? connector.objects.people
          : [knownObject(connector, request.query.object)];
      const query = request.query.q ?? '';
      if (query === '' || !connector.searchRecords) return { data: [] };
      const data = await askCrm(() =>
        withCrm(ctx, connection.id, async (session, crm) => {
          const found: Array<z.infer<typeof recordSchema>> = [];
          for (const object of objects) {
            const matches = (await crm.searchRecords?.(session, object, query, RECORD_LIMIT)) ?? [];
            for (const match of matches) {
              found.push({ object, ...match, url: crm.recordUrl(session, object, match.id) });
            }
          }
          return found.slice(0, RECORD_LIMIT);
        }),
      );
      return { data };
    },
  );
};
