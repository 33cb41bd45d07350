import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { EventJob, EventType } from '../queue/events.ts';
import { defineSubscriber } from '../queue/subscriber.ts';
import { isUnsubscribed, sendEmail, unsubscribeUrl } from './mailer.ts';
import { recipes } from './recipes.ts';
import { emails } from './tables.ts';
import { renderTemplate } from './templates.ts';

/**
 * The events that send email. Each has a recipe in recipes.ts; `reward.created`,
 * `reward.paid`, `reward.failed` and `reward.coupon_pool_empty` have theirs already and join
 * this list once the rewards capability writes them.
 */
export const notifiedEvents = [
  'referral.milestone_changed',
  'sales_entry.review_needed',
  'connection.needs_reauth',
  'webhook_endpoint.disabled',
  'reward.created',
  'reward.paid',
  'reward.failed',
  'member.sign_in_requested',
  'connection.alert_raised',
  'connection.alert_cleared',
] as const satisfies readonly EventType[];

type NotifiedEvent = (typeof notifiedEvents)[number];

/**
 * Writes each planned email once (unique per event, recipient and template), then sends
 * the ones still pending. A retried job finds its rows and sends only what is left.
 */
async function notify(app: AppContext, job: EventJob): Promise<void> {
  const recipe = recipes[job.type];
  if (!recipe) return;
  const planned = await recipe(app, {
    workspaceId: job.workspaceId,
    type: job.type,
    payload: job.payload as unknown as Record<string, unknown>,
  });
  for (const email of planned) {
    const recipient = email.recipient.trim();
    const content = renderTemplate(email.content, {
      ...email.variables,
      unsubscribeUrl: unsubscribeUrl(app, job.workspaceId, recipient),
    });
    await app.db
      .insert(emails)
      .values({
        id: newId('email'),
        workspaceId: job.workspaceId,
        eventId: job.eventId,
        recipient,
        template: email.template,
        status:
          !email.requested && (await isUnsubscribed(app, job.workspaceId, recipient)) ? 'skipped' : 'pending',
        fromHeader: email.from,
        ...content,
      })
      .onConflictDoNothing();
  }
  const waiting = await app.db
    .select({ id: emails.id })
    .from(emails)
    .where(and(eq(emails.eventId, job.eventId), inArray(emails.status, ['pending', 'sending'])));
  for (const row of waiting) await sendEmail(app, row.id);
}

export const notificationSubscriber = defineSubscriber<NotifiedEvent>({
  queue: 'notifications',
  on: notifiedEvents,
  retryLimit: 8,
  retryDelay: 10,
  handle: async (job, context) => notify(context.app, job),
});
