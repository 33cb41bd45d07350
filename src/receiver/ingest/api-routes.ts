import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getConnection } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { AppError, type FieldIssue, validationFailed } from '../../core/errors.ts';
import { randomString } from '../../core/ids.ts';
import { dateProblem, fieldIssues, valueIssues } from '../../core/outside-input.ts';
import { callerOf } from '../../http/auth.ts';
import { type IncomingEntry, recordSalesEntries } from '../entries/record.ts';
import { hookUrlFields, hookUrlsOf, rotateHookSecret } from './hook-secret.ts';

const maxEntriesPerRequest = 100;

const apiEntrySchema = z.object({
  eventId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Your ID for this event: sending it again is recognized as a duplicate. Default: a new ID'),
  connectionId: z.string().min(1).max(100).optional().describe('The CRM connection it came from, if any'),
  objectType: z.string().trim().min(1).max(100).describe('Lead, Opportunity, contacts, deals, ...'),
  recordId: z.string().trim().min(1).max(200).optional().describe("The record's ID in the source system"),
  fields: z.record(z.string(), z.unknown()).describe('Field values by API name'),
  occurredAt: z.iso.datetime({ offset: true }).optional().describe('When the change happened (ISO-8601)'),
});

const entriesBody = z.union([apiEntrySchema, z.array(apiEntrySchema).min(1).max(maxEntriesPerRequest)]);

type ApiEntry = z.infer<typeof apiEntrySchema>;

function issuesOf(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((part) => part !== '');
    return { field: path.length > 0 ? path.join('.') : 'body', message: issue.message };
  });
}

/**
 * One entry or a list. Validated here rather than by the route schema, so every problem is
 * named by its field (`fields`, `3.objectType`) instead of "matches neither form". Each item
 * as sent (unknown keys too: it is kept as the raw payload) is held to the rule for outside
 * input, so nothing is written when any of them breaks it.
 */
function parseEntries(body: unknown): { entries: ApiEntry[]; paths: string[] } {
  const list = Array.isArray(body);
  const items: unknown[] = list ? body : [body];
  const issues = fieldIssues(items.flatMap((item, index) => valueIssues(item, list ? [index] : [])));
  const parsed = list
    ? z.array(apiEntrySchema).min(1).max(maxEntriesPerRequest).safeParse(body)
    : apiEntrySchema.safeParse(body);
  if (!parsed.success) throw validationFailed([...issuesOf(parsed.error, ''), ...issues]);
  const entries = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  const paths = entries.map((_, index) => (list ? `${index}.` : ''));
  entries.forEach((entry, index) => {
    const problem = entry.occurredAt === undefined ? undefined : dateProblem(new Date(entry.occurredAt));
    if (problem) issues.push({ field: `${paths[index] ?? ''}occurredAt`, message: problem });
  });
  if (issues.length > 0) throw validationFailed(issues);
  return { entries, paths };
}

const hookUrlsSchema = z.object(hookUrlFields);

/** Sales entries from any system through the API, and the hook URLs to give to a CRM. */
export const ingestApiRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/sales-entries',
    {
      attachValidation: true,
      schema: {
        tags: ['sales entries'],
        summary: 'Send sales entries (Zapier, Make, n8n, a custom CRM)',
        description:
          `One entry or a list of up to ${maxEntriesPerRequest}. Saved and queued for processing; ` +
          'the answer lists each entry ID and whether it had been received before (same eventId).',
        body: entriesBody,
        response: {
          202: z.object({ data: z.array(z.object({ id: z.string(), duplicate: z.boolean() })) }),
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = callerOf(request);
      const { entries, paths } = parseEntries(request.body);
      const issues: FieldIssue[] = [];
      const checked = new Map<string, boolean>();
      for (const [index, entry] of entries.entries()) {
        if (entry.connectionId === undefined) continue;
        if (!checked.has(entry.connectionId)) {
          const found = await getConnection(ctx.db, workspaceId, entry.connectionId).then(
            () => true,
            (error: unknown) => {
              if (error instanceof AppError && error.code === 'not_found') return false;
              throw error;
            },
          );
          checked.set(entry.connectionId, found);
        }
        if (!checked.get(entry.connectionId)) {
          issues.push({
            field: `${paths[index] ?? ''}connectionId`,
            message: 'no such connection in this workspace',
          });
        }
      }
      if (issues.length > 0) throw validationFailed(issues);
      const received: unknown[] = Array.isArray(request.body) ? request.body : [request.body];
      const incoming = entries.map(
        (entry, index): IncomingEntry => ({
          source: 'api',
          connectionId: entry.connectionId ?? null,
          dedupeKey: `api:${entry.eventId ?? randomString(24)}`,
          rawPayload: JSON.stringify(received[index] ?? entry),
          objectType: entry.objectType,
          recordId: entry.recordId,
          fields: entry.fields,
          occurredAt: entry.occurredAt === undefined ? undefined : new Date(entry.occurredAt),
        }),
      );
      const data = await recordSalesEntries(ctx, workspaceId, incoming);
      return reply.code(202).send({ data });
    },
  );

  app.get(
    '/connections/:id/hooks',
    {
      schema: {
        tags: ['connections'],
        summary: 'Where the CRM sends events for this connection',
        description:
          'Built from REFSYNC_PUBLIC_URL. The Salesforce URLs carry a secret made on the first call; ' +
          'anyone holding them can send entries for this connection.',
        params: z.object({ id: z.string() }),
        response: { 200: hookUrlsSchema },
      },
    },
    async (request) => {
      const connection = await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id);
      return hookUrlsOf(ctx, connection);
    },
  );

  app.post(
    '/connections/:id/hooks/rotate',
    {
      schema: {
        tags: ['connections'],
        summary: 'Replace the secret in the Salesforce hook URLs',
        description: 'The old URLs answer 401 from now on; update the outbound messages in Salesforce.',
        params: z.object({ id: z.string() }),
        response: { 200: hookUrlsSchema },
      },
    },
    async (request) => {
      const connection = await getConnection(ctx.db, callerOf(request).workspaceId, request.params.id);
      return hookUrlsOf(ctx, await rotateHookSecret(ctx, connection));
    },
  );
};
