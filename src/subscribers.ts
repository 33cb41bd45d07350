import { notificationSubscriber } from './notifications/subscriber.ts';
import { pushSubscriber } from './push/subscriber.ts';
import type { EventSubscriber } from './queue/subscriber.ts';
import { salesEntrySubscriber } from './receiver/process/subscriber.ts';
import { rewardIssueSubscriber, rewardPayoutSubscriber } from './rewards/subscriber.ts';
import { webhookSubscriber } from './webhooks/subscriber.ts';

/**
 * Every queue fed by domain events, from every capability. Processes that run workers
 * (`start`, `worker`) work all of them; every process can enqueue to all of them.
 */
export const subscribers: readonly EventSubscriber[] = [
  pushSubscriber,
  salesEntrySubscriber,
  rewardIssueSubscriber,
  rewardPayoutSubscriber,
  webhookSubscriber,
  notificationSubscriber,
];
