import Stripe from 'stripe';
import { notificationSubscriber } from '../../src/notifications/subscriber.ts';
import { pushSubscriber } from '../../src/push/subscriber.ts';
import { salesEntrySubscriber } from '../../src/receiver/process/subscriber.ts';
import { rewardIssueSubscriber, rewardPayoutSubscriber } from '../../src/rewards/subscriber.ts';
import { sandboxPlugins, sandboxPrefixes } from '../../src/sandbox/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './app.ts';

export interface Reward {
  id: string;
  referralId: string;
  memberId: string | null;
  recipient: 'referrer' | 'referred';
  currency: string | null;
  amount: number;
  fulfilment: string;
  status: string;
  reason: string | null;
  needsManualApproval: boolean;
  holdUntil: string | null;
  fulfilmentRef: string | null;
  history?: Array<{ from: string | null; to: string; actor: string; reason: string | null }>;
}

/** refsync with the receiver, rewards and the sandboxes (CRMs and payments) mounted. */
export function startRewardsApp(): Promise<TestApp> {
  return startTestApp({
    subscribers: [
      salesEntrySubscriber,
      pushSubscriber,
      rewardIssueSubscriber,
      rewardPayoutSubscriber,
      notificationSubscriber,
    ],
    plugins: sandboxPlugins(memorySandboxStore()),
    env: { REFSYNC_SANDBOX: '1' },
  });
}

export async function sandboxAdmin<T>(testApp: TestApp, path: string, body: unknown = {}, method = 'POST') {
  const response = await fetch(`${testApp.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function stripeAccount(
  testApp: TestApp,
): Promise<{ id: string; secretKey: string; stripe: Stripe }> {
  const account = await sandboxAdmin<{ id: string; secretKey: string; port: number }>(
    testApp,
    `${sandboxPrefixes.stripe}/_admin/accounts`,
    { name: 'Rewards' },
  );
  const stripe = new Stripe(account.secretKey, {
    host: '127.0.0.1',
    port: account.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  return { id: account.id, secretKey: account.secretKey, stripe };
}

export async function newRule(api: ApiClient, body: Record<string, unknown>): Promise<{ id: string }> {
  const response = await api.post<{ id: string }>('/api/v1/reward-rules', body);
  if (response.status !== 201) throw new Error(`rule: ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function newMember(api: ApiClient, body: Record<string, unknown>): Promise<{ id: string }> {
  const response = await api.post<{ id: string }>('/api/v1/members', body);
  if (response.status !== 201) throw new Error(`member: ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function rewardsOf(api: ApiClient, referralId: string): Promise<Reward[]> {
  const response = await api.get<{ data: Reward[] }>(`/api/v1/referrals/${referralId}/rewards`);
  if (response.status !== 200) throw new Error(`rewards: ${JSON.stringify(response.body)}`);
  return response.body.data;
}

/** Waits until the referral has `count` rewards, all in a state other than `approved`. */
export function settledRewards(api: ApiClient, referralId: string, count: number, timeoutMs = 20_000) {
  return eventually(async () => {
    const list = await rewardsOf(api, referralId);
    return list.length === count && list.every((reward) => reward.status !== 'approved') ? list : undefined;
  }, timeoutMs);
}
