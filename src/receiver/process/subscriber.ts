import type { AppContext } from '../../context.ts';
import type { EventJob } from '../../queue/events.ts';
import { defineSubscriber } from '../../queue/subscriber.ts';
import { retryAfterReconnect } from '../entries/service.ts';
import { processBatch } from './batch.ts';

type ReceiverEvent = 'sales_entry.received' | 'connection.reconnected';

/** Attempts an entry gets when the CRM keeps failing (outage, rate limit) before it ends `failed`. */
const ATTEMPT_LIMIT = 9;

/**
 * Processes a batch of jobs: entries together (`batch.ts`), connections that work again one
 * by one. An entry whose CRM call failed in a way a retry can help is counted and the batch
 * is thrown back to the queue, which retries it with backoff; entries already done are
 * skipped then, since only `received` ones are processed.
 */
async function processJobs(app: AppContext, jobs: Array<EventJob<ReceiverEvent>>): Promise<void> {
  const entries: Array<{ workspaceId: string; entryId: string }> = [];
  for (const job of jobs) {
    if (job.type === 'connection.reconnected') {
      await retryAfterReconnect(app, job.workspaceId, job.payload.connectionId);
      continue;
    }
    entries.push({ workspaceId: job.workspaceId, entryId: job.payload.entryId });
  }
  const { retry } = await processBatch(app, ATTEMPT_LIMIT, entries);
  if (retry) throw retry;
}

/**
 * The sales receiver's processing: one job per sales entry (saved by an ingest endpoint, or
 * sent again by a retry), taken in batches so a backlog does not wait a polling interval per
 * entry. Every outcome other than a passing CRM failure is recorded on the entry itself;
 * entries that failed because their connection needed reconnecting run again once it is.
 */
export const salesEntrySubscriber = defineSubscriber<ReceiverEvent>({
  queue: 'sales-entries',
  on: ['sales_entry.received', 'connection.reconnected'],
  batchSize: 200,
  // Batches lock their referrals in a stable order, as they do across worker processes.
  batchConcurrency: 2,
  // A CRM event should move its referral within milliseconds, not at the next poll.
  wakeOnCommit: true,
  // Each entry takes a few CRM calls, PARALLEL at a time.
  expireInSeconds: 60,
  retryLimit: ATTEMPT_LIMIT,
  retryDelay: 5,
  retryDelayMax: 900,
  handle: (job, context) => processJobs(context.app, [job]),
  handleBatch: (jobs, context) => processJobs(context.app, jobs),
});
