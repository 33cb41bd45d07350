import { z } from 'zod';
import { ownValue, storableJson } from '../../../core/outside-input.ts';
import type { HookIngest, IncomingEntry } from '../../hooks.ts';

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]);

/** The fields refsync reads from one webhook event; the rest is kept in the raw payload. */
export const hubspotEventSchema = z.looseObject({
  eventId: id,
  portalId: id,
  subscriptionType: z.string().min(1).max(200),
  objectId: id.optional(),
  objectTypeId: z.string().max(50).optional(),
  occurredAt: z.number().int().nonnegative().optional(),
  propertyName: z.string().max(500).optional(),
  propertyValue: z.string().nullable().optional(),
});

/** HubSpot sends a JSON array of events per request (100 at most). */
export const hubspotBatchSchema = z.array(hubspotEventSchema).max(1000);

export type HubspotEvent = z.infer<typeof hubspotEventSchema>;

/** `contact.propertyChange` -> `contacts`: the object type as the CRM API names it. */
export const WEBHOOK_OBJECT_TYPES: Record<string, string> = {
  contact: 'contacts',
  company: 'companies',
  deal: 'deals',
  ticket: 'tickets',
  product: 'products',
  line_item: 'line_items',
};

export function objectTypeOf(event: HubspotEvent): string {
  const family = event.subscriptionType.split('.')[0] ?? event.subscriptionType;
  // Generic subscriptions (`object.propertyChange`) name the type by its ID (`0-3`).
  if (family === 'object' && event.objectTypeId) return event.objectTypeId;
  return ownValue(WEBHOOK_OBJECT_TYPES, family) ?? family;
}

/**
 * `received` is the event exactly as it was in the request's JSON array. All of it is kept,
 * so all of it is held to the rule for outside input: an event that breaks it is refused
 * (saved `failed`), whatever the rest of its batch.
 */
export function hubspotEntry(
  ingest: HookIngest,
  connectionId: string,
  event: HubspotEvent,
  received: unknown,
): IncomingEntry {
  return {
    source: 'hubspot_webhook',
    connectionId,
    dedupeKey: `hs:${event.portalId}:${event.eventId}`,
    rawPayload: storableJson(received),
    refusal: ingest.refusalOfValue(received),
    objectType: objectTypeOf(event),
    recordId: event.objectId === undefined ? undefined : String(event.objectId),
    fields: event.propertyName === undefined ? {} : { [event.propertyName]: event.propertyValue ?? null },
    occurredAt: event.occurredAt === undefined ? undefined : new Date(event.occurredAt),
  };
}
