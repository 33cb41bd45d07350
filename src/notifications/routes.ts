import { and, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { callerOf } from '../http/auth.ts';
import { getProgram } from '../programs/service.ts';
import { emailTemplates, notificationSettings, programEmailSettings } from './tables.ts';
import {
  adminAlerts,
  type ProgramTemplateName,
  programTemplateNames,
  programTemplates,
  renderTemplate,
  sampleVariables,
} from './templates.ts';

const tags = ['notifications'];
const settingsSchema = z.object({
  adminEmails: z.array(z.email()).max(50).describe('Who receives the admin alerts'),
  alerts: z.array(z.enum(adminAlerts as [string, ...string[]])).describe('Alerts switched on'),
});
const senderSchema = z.object({
  fromName: z.string().min(1).max(200).nullable().describe("Sender name; default: the program's name"),
  fromAddress: z.email().nullable().describe('Sender address; default: REFSYNC_MAIL_FROM'),
  notifyReferrer: z.boolean().describe('Email referrers when their referral moves or they earn a reward'),
  notifyReferred: z.boolean().describe('Email the referred person when their referral moves'),
});
const templateSchema = z.object({
  subject: z.string().min(1).max(500),
  text: z.string().min(1).max(50_000),
  html: z.string().min(1).max(200_000),
});
const programParams = z.object({ programId: z.string() });
const templateParams = z.object({
  programId: z.string(),
  template: z.enum(programTemplateNames as [ProgramTemplateName, ...ProgramTemplateName[]]),
});

async function programOf(ctx: AppContext, workspaceId: string, programId: string) {
  return getProgram(ctx.db, workspaceId, programId);
}

export const notificationRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/notification-settings',
    {
      schema: { tags, summary: "The workspace's admin alert recipients", response: { 200: settingsSchema } },
    },
    async (request) => {
      const [row] = await ctx.db
        .select()
        .from(notificationSettings)
        .where(eq(notificationSettings.workspaceId, callerOf(request).workspaceId));
      return row
        ? { adminEmails: row.adminEmails, alerts: row.alerts }
        : { adminEmails: [], alerts: adminAlerts };
    },
  );

  app.put(
    '/notification-settings',
    {
      schema: {
        tags,
        summary: 'Set who receives admin alerts, and which',
        body: settingsSchema,
        response: { 200: settingsSchema },
      },
    },
    async (request) => {
      const workspaceId = callerOf(request).workspaceId;
      const values = {
        adminEmails: request.body.adminEmails,
        alerts: request.body.alerts,
        updatedAt: new Date(),
      };
      await ctx.db
        .insert(notificationSettings)
        .values({ workspaceId, ...values })
        .onConflictDoUpdate({ target: notificationSettings.workspaceId, set: values });
      return request.body;
    },
  );

  app.get(
    '/programs/:programId/email-settings',
    {
      schema: {
        tags,
        summary: "A program's sender and recipients",
        params: programParams,
        response: { 200: senderSchema },
      },
    },
    async (request) => {
      const program = await programOf(ctx, callerOf(request).workspaceId, request.params.programId);
      const [row] = await ctx.db
        .select()
        .from(programEmailSettings)
        .where(eq(programEmailSettings.programId, program.id));
      return {
        fromName: row?.fromName ?? null,
        fromAddress: row?.fromAddress ?? null,
        notifyReferrer: row?.notifyReferrer ?? true,
        notifyReferred: row?.notifyReferred ?? false,
      };
    },
  );

  app.put(
    '/programs/:programId/email-settings',
    {
      schema: {
        tags,
        summary: "Set a program's sender and who it emails",
        params: programParams,
        body: senderSchema,
        response: { 200: senderSchema },
      },
    },
    async (request) => {
      const workspaceId = callerOf(request).workspaceId;
      const program = await programOf(ctx, workspaceId, request.params.programId);
      const values = { ...request.body, updatedAt: new Date() };
      await ctx.db
        .insert(programEmailSettings)
        .values({ programId: program.id, workspaceId, ...values })
        .onConflictDoUpdate({ target: programEmailSettings.programId, set: values });
      return request.body;
    },
  );

  app.get(
    '/programs/:programId/email-templates',
    {
      schema: {
        tags,
        summary: "A program's email templates (its own or the defaults)",
        description:
          'Variables: `{{name}}`; `{{#name}}...{{/name}}` shows its content only when `name` is not empty.',
        params: programParams,
        response: {
          200: z.object({
            data: z.array(
              templateSchema.extend({
                template: z.string(),
                custom: z.boolean(),
                variables: z.array(z.string()),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const program = await programOf(ctx, callerOf(request).workspaceId, request.params.programId);
      const own = await ctx.db.select().from(emailTemplates).where(eq(emailTemplates.programId, program.id));
      return {
        data: programTemplateNames.map((template) => {
          const custom = own.find((row) => row.template === template);
          const content = custom ?? programTemplates[template];
          return {
            template,
            subject: content.subject,
            text: content.text,
            html: content.html,
            custom: custom !== undefined,
            variables: Object.keys(sampleVariables),
          };
        }),
      };
    },
  );

  app.put(
    '/programs/:programId/email-templates/:template',
    {
      schema: {
        tags,
        summary: 'Word one email your way',
        params: templateParams,
        body: templateSchema,
        response: { 200: templateSchema },
      },
    },
    async (request) => {
      const workspaceId = callerOf(request).workspaceId;
      const program = await programOf(ctx, workspaceId, request.params.programId);
      const values = { ...request.body, updatedAt: new Date() };
      await ctx.db
        .insert(emailTemplates)
        .values({ programId: program.id, workspaceId, template: request.params.template, ...values })
        .onConflictDoUpdate({ target: [emailTemplates.programId, emailTemplates.template], set: values });
      return request.body;
    },
  );

  app.delete(
    '/programs/:programId/email-templates/:template',
    { schema: { tags, summary: 'Go back to the default wording', params: templateParams } },
    async (request, reply) => {
      const program = await programOf(ctx, callerOf(request).workspaceId, request.params.programId);
      await ctx.db
        .delete(emailTemplates)
        .where(
          and(eq(emailTemplates.programId, program.id), eq(emailTemplates.template, request.params.template)),
        );
      return reply.code(204).send();
    },
  );

  app.post(
    '/programs/:programId/email-templates/:template/preview',
    {
      schema: {
        tags,
        summary: 'Render a template (the saved one, or the one in the body) with sample data',
        params: templateParams,
        body: templateSchema.partial(),
        response: { 200: templateSchema },
      },
    },
    async (request) => {
      const program = await programOf(ctx, callerOf(request).workspaceId, request.params.programId);
      const [own] = await ctx.db
        .select()
        .from(emailTemplates)
        .where(
          and(eq(emailTemplates.programId, program.id), eq(emailTemplates.template, request.params.template)),
        );
      const saved = own ?? programTemplates[request.params.template];
      return renderTemplate(
        {
          subject: request.body.subject ?? saved.subject,
          text: request.body.text ?? saved.text,
          html: request.body.html ?? saved.html,
        },
        sampleVariables,
      );
    },
  );
};
