import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pageQuery, pageSchema } from '../core/pagination.ts';
import type { Db } from '../db/client.ts';
import { callerOf } from '../http/auth.ts';
import { getProgram, programsByIds } from '../programs/service.ts';
import { crmRecordsOf } from '../push/records.ts';
import { rewardSummariesOf } from '../rewards/query-service.ts';
import {
  createReferralBody,
  listReferralsQuery,
  milestoneBody,
  referralDetailSchema,
  referralSchema,
  updateReferralBody,
} from './schemas.ts';
import {
  changeMilestone,
  createReferral,
  getReferral,
  listReferrals,
  type ReferralRow,
  referralHistory,
  toMilestoneChangeView,
  toReferralView,
  updateReferral,
} from './service.ts';

const tags = ['referrals'];
const idParams = z.object({ id: z.string() });

async function detail(db: Db, workspaceId: string, referral: ReferralRow) {
  const program = await getProgram(db, workspaceId, referral.programId);
  const history = await referralHistory(db, workspaceId, referral.id);
  const crmRecords = await crmRecordsOf(db, workspaceId, referral.id);
  const rewards = await rewardSummariesOf(db, workspaceId, referral.id);
  return {
    ...toReferralView(referral, program),
    history: history.map(toMilestoneChangeView),
    crmRecords,
    rewards,
  };
}

export const referralRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/referrals',
    {
      schema: {
        tags,
        summary: 'Create a referral',
        description: 'The referring member is named by memberId or referralCode.',
        body: createReferralBody,
        response: { 201: referralDetailSchema },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { referral, program, history } = await createReferral(
        ctx.db,
        ctx.queue,
        caller.workspaceId,
        request.body,
        {
          actor: caller.actor,
        },
      );
      return reply.code(201).send({
        ...toReferralView(referral, program),
        history: history.map(toMilestoneChangeView),
        crmRecords: [],
        rewards: [],
      });
    },
  );

  app.get(
    '/referrals',
    {
      schema: {
        tags,
        summary: 'List referrals',
        querystring: listReferralsQuery.extend(pageQuery),
        response: { 200: pageSchema(referralSchema) },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request);
      const page = await listReferrals(ctx.db, workspaceId, request.query);
      const programs = await programsByIds(
        ctx.db,
        workspaceId,
        page.data.map((referral) => referral.programId),
      );
      return {
        data: page.data.flatMap((referral) => {
          const program = programs.get(referral.programId);
          return program ? [toReferralView(referral, program)] : [];
        }),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/referrals/:id',
    {
      schema: {
        tags,
        summary: 'Get a referral with its milestone history',
        params: idParams,
        response: { 200: referralDetailSchema },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request);
      return detail(ctx.db, workspaceId, await getReferral(ctx.db, workspaceId, request.params.id));
    },
  );

  app.patch(
    '/referrals/:id',
    {
      schema: {
        tags,
        summary: 'Update a referral (not its milestone)',
        params: idParams,
        body: updateReferralBody,
        response: { 200: referralDetailSchema },
      },
    },
    async (request) => {
      const { workspaceId } = callerOf(request);
      const { referral } = await updateReferral(ctx.db, workspaceId, request.params.id, request.body);
      return detail(ctx.db, workspaceId, referral);
    },
  );

  app.post(
    '/referrals/:id/milestone',
    {
      schema: {
        tags,
        summary: 'Move a referral to a milestone',
        description:
          'Approved referrals are locked (409 referral_locked); denied ones move only with overrideDenied ' +
          '(409 referral_denied); unknown codes answer 422 unknown_milestone.',
        params: idParams,
        body: milestoneBody,
        response: { 200: referralDetailSchema },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { referral } = await changeMilestone(ctx.db, ctx.queue, caller.workspaceId, request.params.id, {
        ...request.body,
        actor: caller.actor,
      });
      return detail(ctx.db, caller.workspaceId, referral);
    },
  );
};
