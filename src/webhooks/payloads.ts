import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { findProgram } from '../programs/service.ts';
import { type EventType, eventTypes } from '../queue/events.ts';
import { findMilestoneChange } from '../referrals/service.ts';

/** Events about refsync's own plumbing, never sent to endpoints. */
const internalEvents: readonly string[] = [
  'push.requested',
  'sales_entry.received',
  'member.sign_in_requested',
];

/** Every event type an endpoint can subscribe to (new domain events join automatically). */
export const webhookEventTypes: readonly EventType[] = eventTypes.filter(
  (type) => !internalEvents.includes(type),
);

const id = (what: string) => z.string().describe(`ID of the ${what}`);

function connectionAlertData(message: string) {
  return z.object({
    connectionId: id('connection'),
    code: z
      .string()
      .describe(
        'connection_needs_reauth, crm_rate_limited, crm_field_missing, crm_object_missing or events_not_arriving',
      ),
    key: z.string().describe('Tells alerts of one code apart, e.g. crm_field_missing:lead.score__c'),
    message: z.string().describe(message),
    since: z.string().describe('When the condition began (ISO 8601)'),
  });
}

/** What `data` holds for each event type; types not listed carry their event payload as is. */
export const eventDataSchemas: Partial<Record<EventType, z.ZodType>> = {
  'referral.created': z.object({
    referralId: id('referral'),
    programId: id('program'),
    memberId: id('member (referrer)').nullable(),
  }),
  'referral.milestone_changed': z.object({
    referralId: id('referral'),
    programId: id('program'),
    changeId: id('milestone change'),
    from: z.string().nullable().describe('Milestone code before'),
    to: z.string().describe('Milestone code after'),
    toLabel: z.string().describe('Label of the new milestone'),
    feedback: z.string().nullable().describe('Feedback for the referrer, when the change carried some'),
    reason: z.string().nullable(),
    actor: z.string().describe('Who moved it: api_key:<id>, crm:<connection>, system'),
  }),
  'member.created': z.object({ memberId: id('member'), programId: id('program') }),
  'sales_entry.review_needed': z.object({ entryId: id('sales entry'), reason: z.string() }),
  'sales_entry.failed': z.object({ entryId: id('sales entry'), reason: z.string() }),
  'connection.needs_reauth': z.object({ connectionId: id('connection'), reason: z.string() }),
  'connection.reconnected': z.object({ connectionId: id('connection') }),
  'push.failed': z.object({
    logId: id('push log entry'),
    settingsId: id('push settings'),
    subject: z.enum(['referral', 'member']),
    subjectId: id('referral or member'),
    crmCode: z.string().nullable().describe("The CRM's error code"),
    message: z.string().describe("The CRM's message"),
  }),
  'connection.alert_raised': connectionAlertData('The alert in words: what is affected and what to do'),
  'connection.alert_cleared': connectionAlertData('The words of the alert that ended'),
  'webhook_endpoint.disabled': z.object({
    endpointId: id('webhook endpoint'),
    url: z.string(),
    reason: z.string(),
  }),
};

/** The body of every webhook: the Standard Webhooks envelope. */
export function envelopeSchema(type: string, data: z.ZodType): z.ZodType {
  return z.object({
    type: z.literal(type),
    timestamp: z.string().describe('When the event happened (ISO 8601)'),
    eventId: z.string().describe('ID of the event; the same for every endpoint it is sent to'),
    data,
  });
}

interface EventLike {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** What a receiver needs besides the IDs: the milestone change's feedback and label. */
async function dataOf(db: Db, workspaceId: string, event: EventLike): Promise<Record<string, unknown>> {
  if (event.type !== 'referral.milestone_changed') return event.payload;
  const changeId = String(event.payload.changeId ?? '');
  const change = await findMilestoneChange(db, workspaceId, changeId);
  const program = await findProgram(db, workspaceId, String(event.payload.programId ?? ''));
  const to = String(event.payload.to ?? '');
  return {
    ...event.payload,
    toLabel: program?.milestones.find((milestone) => milestone.code === to)?.label ?? to,
    feedback: change?.feedback ?? null,
    reason: change?.reason ?? null,
    actor: change?.actor ?? 'system',
  };
}

export async function webhookBody(db: Db, workspaceId: string, event: EventLike): Promise<string> {
  return JSON.stringify({
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    eventId: event.id,
    data: await dataOf(db, workspaceId, event),
  });
}
