import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pageQuery, pageSchema } from '../core/pagination.ts';
import { callerOf } from '../http/auth.ts';
import {
  approvedCsv,
  approveReward,
  cancelReward,
  listRewards,
  markPaid,
  memberBalance,
  retryReward,
  rewardDetail,
  rewardsOfReferral,
  toRewardView,
} from './query-service.ts';
import {
  addCoupons,
  couponsAvailable,
  createRule,
  getRule,
  listRules,
  toRuleView,
  updateRule,
} from './rules-service.ts';
import {
  balanceSchema,
  createRuleBody,
  listRewardsQuery,
  rewardSchema,
  rewardSettingsBody,
  rewardSettingsSchema,
  ruleSchema,
  updateRuleBody,
} from './schemas.ts';
import { getRewardSettings, putRewardSettings } from './settings-service.ts';

const tags = ['rewards'];
const idParams = z.object({ id: z.string() });
const reasonBody = z.object({ reason: z.string().trim().min(1).max(500) });
const optionalReason = z.object({ reason: z.string().trim().min(1).max(500).optional() });

export const rewardRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const ws = (request: Parameters<typeof callerOf>[0]) => callerOf(request).workspaceId;

  app.post(
    '/reward-rules',
    {
      schema: { tags, summary: 'Create a reward rule', body: createRuleBody, response: { 201: ruleSchema } },
    },
    async (request, reply) =>
      reply.code(201).send(toRuleView(await createRule(ctx.db, ws(request), request.body))),
  );
  app.get(
    '/reward-rules',
    {
      schema: {
        tags,
        summary: 'List reward rules',
        querystring: z.object({ programId: z.string().optional() }),
        response: { 200: z.object({ data: z.array(ruleSchema) }) },
      },
    },
    async (request) => ({
      data: (await listRules(ctx.db, ws(request), request.query.programId)).map((row) => toRuleView(row)),
    }),
  );
  app.get(
    '/reward-rules/:id',
    { schema: { tags, summary: 'Get a reward rule', params: idParams, response: { 200: ruleSchema } } },
    async (request) => {
      const rule = await getRule(ctx.db, ws(request), request.params.id);
      return toRuleView(
        rule,
        rule.fulfilment === 'coupon' ? await couponsAvailable(ctx.db, rule.id) : undefined,
      );
    },
  );
  app.patch(
    '/reward-rules/:id',
    {
      schema: {
        tags,
        summary: 'Update a reward rule',
        description: 'Amount, trigger and fulfilment are fixed once rewards exist; make a new rule instead.',
        params: idParams,
        body: updateRuleBody,
        response: { 200: ruleSchema },
      },
    },
    async (request) => toRuleView(await updateRule(ctx.db, ws(request), request.params.id, request.body)),
  );
  app.post(
    '/reward-rules/:id/coupons',
    {
      schema: {
        tags,
        summary: "Add codes to a coupon rule's pool",
        params: idParams,
        body: z.object({ codes: z.array(z.string().max(200)).min(1).max(10_000) }),
        response: { 200: z.object({ added: z.number(), available: z.number() }) },
      },
    },
    async (request) => addCoupons(ctx.db, ws(request), request.params.id, request.body.codes),
  );

  app.get(
    '/programs/:id/reward-settings',
    {
      schema: {
        tags,
        summary: "A program's fraud guard and payout settings (secrets are never answered)",
        params: idParams,
        response: { 200: rewardSettingsSchema },
      },
    },
    async (request) => getRewardSettings(ctx, ws(request), request.params.id),
  );
  app.put(
    '/programs/:id/reward-settings',
    {
      schema: {
        tags,
        summary: "Set a program's fraud guard and payout credentials",
        description:
          "Base URLs: the real Stripe / Tremendous endpoints, or this server's own sandboxes when mounted.",
        params: idParams,
        body: rewardSettingsBody,
        response: { 200: rewardSettingsSchema },
      },
    },
    async (request) => putRewardSettings(ctx, ws(request), request.params.id, request.body),
  );

  app.get(
    '/rewards',
    {
      schema: {
        tags,
        summary: 'List rewards (the ledger)',
        querystring: listRewardsQuery.extend(pageQuery),
        response: { 200: pageSchema(rewardSchema) },
      },
    },
    async (request) => {
      const page = await listRewards(ctx.db, ws(request), request.query);
      return { data: page.data.map((row) => toRewardView(row)), nextCursor: page.nextCursor };
    },
  );
  app.get(
    '/rewards/export.csv',
    {
      schema: {
        tags,
        summary: 'Approved rewards paid by hand, as CSV',
        querystring: z.object({ programId: z.string().optional() }),
      },
    },
    async (request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="rewards-approved.csv"')
        .send(await approvedCsv(ctx.db, ws(request), request.query.programId)),
  );
  app.get(
    '/rewards/:id',
    {
      schema: {
        tags,
        summary: 'A reward with its history',
        params: idParams,
        response: { 200: rewardSchema },
      },
    },
    async (request) => rewardDetail(ctx.db, ws(request), request.params.id),
  );
  app.post(
    '/rewards/:id/approve',
    {
      schema: {
        tags,
        summary: 'Approve a pending reward',
        params: idParams,
        body: optionalReason,
        response: { 200: rewardSchema },
      },
    },
    async (request) =>
      toRewardView(
        await approveReward(
          ctx,
          ws(request),
          callerOf(request).actor,
          request.params.id,
          request.body.reason,
        ),
      ),
  );
  app.post(
    '/rewards/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a reward not yet paid',
        params: idParams,
        body: reasonBody,
        response: { 200: rewardSchema },
      },
    },
    async (request) =>
      toRewardView(
        await cancelReward(ctx, ws(request), callerOf(request).actor, request.params.id, request.body.reason),
      ),
  );
  app.post(
    '/rewards/:id/retry',
    {
      schema: {
        tags,
        summary: 'Pay a failed reward again (after the fix)',
        description: 'Provider keys come from the reward ID, so a retry never pays twice.',
        params: idParams,
        response: { 200: rewardSchema },
      },
    },
    async (request) =>
      toRewardView(await retryReward(ctx, ws(request), callerOf(request).actor, request.params.id)),
  );
  app.post(
    '/rewards/mark-paid',
    {
      schema: {
        tags,
        summary: 'Mark approved rewards (manual fulfilment) paid',
        body: z.object({ ids: z.array(z.string()).min(1).max(1000), note: z.string().max(500).optional() }),
        response: { 200: z.object({ data: z.array(rewardSchema) }) },
      },
    },
    async (request) => ({
      data: (
        await markPaid(ctx, ws(request), callerOf(request).actor, request.body.ids, request.body.note)
      ).map((row) => toRewardView(row)),
    }),
  );
  app.get(
    '/referrals/:id/rewards',
    {
      schema: {
        tags,
        summary: "A referral's rewards",
        params: idParams,
        response: { 200: z.object({ data: z.array(rewardSchema) }) },
      },
    },
    async (request) => ({
      data: (await rewardsOfReferral(ctx.db, ws(request), request.params.id)).map((row) => toRewardView(row)),
    }),
  );
  app.get(
    '/members/:id/rewards',
    {
      schema: {
        tags,
        summary: "A member's balance and reward history",
        params: idParams,
        querystring: z.object(pageQuery),
        response: { 200: balanceSchema.extend({ rewards: pageSchema(rewardSchema) }) },
      },
    },
    async (request) => {
      const balance = await memberBalance(ctx.db, ws(request), request.params.id);
      const page = await listRewards(ctx.db, ws(request), { memberId: balance.memberId, ...request.query });
      return {
        ...balance,
        rewards: { data: page.data.map((row) => toRewardView(row)), nextCursor: page.nextCursor },
      };
    },
  );
};
