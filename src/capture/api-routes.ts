import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pageQuery, pageSchema } from '../core/pagination.ts';
import { callerOf } from '../http/auth.ts';
import { getMember } from '../members/service.ts';
import { getProgram } from '../programs/service.ts';
import { createKey, createKeyBody, listKeys, publishableKeySchema, revokeKey, toKeyView } from './keys.ts';
import { decideReview, listReviews, reviewSchema, toReviewView } from './reviews.ts';
import {
  captureSettingsBody,
  captureSettingsSchema,
  saveSettings,
  settingsOf,
  toSettingsView,
} from './settings.ts';
import { funnel, memberFunnelSchema, programStatsSchema, statsQuery } from './stats.ts';

const tags = ['capture'];
const idParams = z.object({ id: z.string() });

/** Capture's part of the API: settings, publishable keys, the funnel, and reviews. */
export const captureApiRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(
    '/programs/:id/capture-settings',
    {
      schema: {
        tags,
        summary: "Get a program's capture settings",
        params: idParams,
        response: { 200: captureSettingsSchema },
      },
    },
    async (request) => {
      const program = await getProgram(ctx.db, callerOf(request).workspaceId, request.params.id);
      return toSettingsView(await settingsOf(ctx.db, program), ctx.config.publicUrl);
    },
  );

  app.patch(
    '/programs/:id/capture-settings',
    {
      schema: {
        tags,
        summary: "Change a program's capture settings",
        description:
          'Landing URL, attribution window, allowed origins, hosted pages, branding and texts. Fields left out keep their value.',
        params: idParams,
        body: captureSettingsBody,
        response: { 200: captureSettingsSchema },
      },
    },
    async (request) => {
      const program = await getProgram(ctx.db, callerOf(request).workspaceId, request.params.id);
      return toSettingsView(await saveSettings(ctx.db, program, request.body), ctx.config.publicUrl);
    },
  );

  app.post(
    '/programs/:id/publishable-keys',
    {
      schema: {
        tags,
        summary: 'Create a publishable key for the conversion script',
        params: idParams,
        body: createKeyBody,
        response: { 201: publishableKeySchema },
      },
    },
    async (request, reply) => {
      const { workspaceId } = callerOf(request);
      const program = await getProgram(ctx.db, workspaceId, request.params.id);
      const key = await createKey(ctx.db, workspaceId, program.id, request.body.name);
      return reply.code(201).send(toKeyView(key));
    },
  );

  app.get(
    '/programs/:id/publishable-keys',
    {
      schema: {
        tags,
        summary: "List a program's publishable keys",
        params: idParams,
        response: { 200: z.object({ data: z.array(publishableKeySchema) }) },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request);
      const program = await getProgram(ctx.db, workspaceId, request.params.id);
      return { data: (await listKeys(ctx.db, workspaceId, program.id)).map(toKeyView) };
    },
  );

  app.post(
    '/publishable-keys/:id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke a publishable key',
        description: 'The key stops working at once; revoking twice is harmless.',
        params: idParams,
        response: { 200: publishableKeySchema },
      },
    },
    async (request) => toKeyView(await revokeKey(ctx.db, callerOf(request).workspaceId, request.params.id)),
  );

  app.get(
    '/programs/:id/capture-stats',
    {
      schema: {
        tags,
        summary: 'Clicks, referrals, qualified and won: for the program and each member',
        params: idParams,
        querystring: statsQuery,
        response: { 200: programStatsSchema },
      },
    },
    async (request) => {
      const program = await getProgram(ctx.db, callerOf(request).workspaceId, request.params.id);
      const { total, members } = await funnel(ctx.db, program, request.query);
      return { programId: program.id, ...total, members };
    },
  );

  app.get(
    '/members/:id/capture-stats',
    {
      schema: {
        tags,
        summary: "Clicks, referrals, qualified and won of one member's link",
        params: idParams,
        querystring: statsQuery,
        response: { 200: memberFunnelSchema },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request);
      const member = await getMember(ctx.db, workspaceId, request.params.id);
      const program = await getProgram(ctx.db, workspaceId, member.programId);
      const { total } = await funnel(ctx.db, program, { ...request.query, memberId: member.id });
      return { memberId: member.id, ...total };
    },
  );

  app.get(
    '/programs/:id/capture-reviews',
    {
      schema: {
        tags,
        summary: 'Captured referrals waiting for a person (members referring themselves)',
        params: idParams,
        querystring: z.object({
          status: z.enum(['review', 'accepted', 'rejected']).optional(),
          ...pageQuery,
        }),
        response: { 200: pageSchema(reviewSchema) },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request);
      const program = await getProgram(ctx.db, workspaceId, request.params.id);
      const page = await listReviews(ctx.db, workspaceId, program.id, request.query);
      return { data: page.data.map(toReviewView), nextCursor: page.nextCursor };
    },
  );

  for (const decision of ['accept', 'reject'] as const) {
    app.post(
      `/capture-reviews/:id/${decision}`,
      {
        schema: {
          tags,
          summary:
            decision === 'accept'
              ? 'Accept: the referral is made for the member'
              : 'Reject: no referral is made',
          params: idParams,
          response: { 200: reviewSchema },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        return toReviewView(
          await decideReview(
            ctx,
            caller.workspaceId,
            request.params.id,
            decision,
            `api_key:${caller.apiKeyId}`,
          ),
        );
      },
    );
  }
};
