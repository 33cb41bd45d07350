import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { valueIssues } from '../../core/outside-input.ts';
import { callerOf } from '../../http/auth.ts';
import { dryRun } from './dry-run.ts';
import { processRulesSchema } from './schemas.ts';

const values = z.record(z.string(), z.unknown());

export const dryRunBody = z.object({
  objectType: z.string().trim().min(1).max(100).describe('Lead, Opportunity, deals, contacts, order, ...'),
  recordId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe("A CRM record's ID: its fields and related records are read from the CRM"),
  fields: values
    .superRefine((fields, ctx) => {
      for (const issue of valueIssues(fields)) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
      }
    })
    .optional()
    .describe('A pasted payload: field values by API name (they win over what the CRM holds)'),
});

export const dryRunResultSchema = z.object({
  records: z.object({
    object: z.string(),
    recordId: z.string().nullable(),
    values,
    related: z.record(z.string(), values.nullable()),
  }),
  trigger: z
    .object({
      object: z.string(),
      field: z.string(),
      value: z.string(),
      milestone: z.string(),
      allowBackward: z.boolean().optional(),
    })
    .nullable(),
  match: z.object({
    referralId: z.string().nullable(),
    memberId: z.string().nullable(),
    method: z.string().nullable(),
    score: z.number().nullable(),
  }),
  outcome: z.enum(['success', 'ignored', 'review', 'failed']),
  reason: z.string().nullable(),
  milestone: z.object({ from: z.string().nullable(), to: z.string(), allowBackward: z.boolean() }).nullable(),
  newReferral: z.object({ memberId: z.string() }).nullable(),
  fieldChanges: values,
  processRules: processRulesSchema,
});

export const dryRunRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/receiver-settings/:id/dry-run',
    {
      schema: {
        tags: ['sales receiver'],
        summary: 'What these settings would do with a CRM record or a payload, writing nothing',
        description:
          'Reads the record (and its related records) from the CRM when recordId is given, then runs the ' +
          "receiver's triggers, matching and process rules. Nothing is saved: no entry, no milestone change.",
        params: z.object({ id: z.string() }),
        body: dryRunBody,
        response: { 200: dryRunResultSchema },
      },
    },
    async (request) => dryRun(ctx, callerOf(request).workspaceId, request.params.id, request.body),
  );
};
