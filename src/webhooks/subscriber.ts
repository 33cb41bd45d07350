import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { EventJob, EventType } from '../queue/events.ts';
import { findEvent } from '../queue/jobs-service.ts';
import { defineSubscriber } from '../queue/subscriber.ts';
import { scheduleAttempt } from './delivery.ts';
import { webhookBody, webhookEventTypes } from './payloads.ts';
import { webhookEndpoints, webhookMessages } from './tables.ts';

/**
 * Turns an event into one message per subscribed endpoint, each with its first attempt.
 * A message is unique per (endpoint, event), so a retried job adds nothing twice.
 */
async function fanOut(app: AppContext, job: EventJob): Promise<void> {
  const endpoints = await app.db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, job.workspaceId), eq(webhookEndpoints.enabled, true)));
  const subscribed = endpoints.filter(
    (endpoint) => endpoint.eventTypes.length === 0 || endpoint.eventTypes.includes(job.type),
  );
  if (subscribed.length === 0) return;
  const event = await findEvent(app.db, job.eventId);
  if (!event) return;
  const body = await webhookBody(app.db, job.workspaceId, event);
  await app.db.transaction(async (tx) => {
    for (const endpoint of subscribed) {
      const [message] = await tx
        .insert(webhookMessages)
        .values({
          id: newId('webhookMessage'),
          workspaceId: job.workspaceId,
          endpointId: endpoint.id,
          eventId: event.id,
          eventType: event.type,
          body,
          status: 'pending',
          nextAttemptAt: new Date(),
        })
        .onConflictDoNothing()
        .returning({ id: webhookMessages.id });
      if (message) await scheduleAttempt(app, tx, { messageId: message.id, round: 0, attempt: 0 });
    }
  });
}

/** Outbound webhooks: every public event, to the workspace's endpoints. */
export const webhookSubscriber = defineSubscriber<EventType>({
  queue: 'webhooks',
  on: webhookEventTypes,
  // Most workspaces have no endpoint for most events: no job for them.
  enqueueWhen: (job) => sql`exists (
    select 1 from ${webhookEndpoints}
    where ${webhookEndpoints.workspaceId} = ${job.workspaceId} and ${webhookEndpoints.enabled}
      and (${webhookEndpoints.eventTypes} = '[]'::jsonb or ${webhookEndpoints.eventTypes} ? ${job.type}))`,
  handle: async (job, context) => fanOut(context.app, job),
});
