import { sql } from 'drizzle-orm';
import { defineSubscriber } from '../queue/subscriber.ts';
import { onMilestoneChanged } from './issue.ts';
import { payReward } from './payout.ts';
import { rewardRules } from './tables.ts';

/** Issues rewards when referrals reach milestones; one reward per referral, rule and recipient. */
export const rewardIssueSubscriber = defineSubscriber<'referral.milestone_changed'>({
  queue: 'rewards.issue',
  on: ['referral.milestone_changed'],
  // A program that never had a rule has nothing to issue, and no reward to cancel on a
  // denial (rules are disabled, never deleted): no job for its milestone moves.
  enqueueWhen: (job) => sql`exists (
    select 1 from ${rewardRules}
    where ${rewardRules.workspaceId} = ${job.workspaceId} and ${rewardRules.programId} = ${job.payload.programId})`,
  retryLimit: 10,
  concurrency: 8,
  handle: async (job, { app }) => {
    await onMilestoneChanged(app, job.workspaceId, job.payload);
  },
});

const PAYOUT_RETRIES = 6;

/** Pays approved rewards; provider hiccups are retried, the last attempt records the failure. */
export const rewardPayoutSubscriber = defineSubscriber<'reward.approved'>({
  queue: 'rewards.payout',
  on: ['reward.approved'],
  retryLimit: PAYOUT_RETRIES,
  retryDelay: 5,
  concurrency: 8,
  handle: async (job, { app, retryCount }) => {
    await payReward(app, job.payload.rewardId, { final: retryCount >= PAYOUT_RETRIES });
  },
});
