import { createHash } from 'node:crypto';
import type { HookConnection, HookIngest, IncomingEntry } from '../../hooks.ts';
import { notificationPayloads, type OutboundMessage, type OutboundNotification } from './soap.ts';

type ConnectionRow = HookConnection;

/**
 * Salesforce org IDs come as 15 characters (case-sensitive) or 18 (the same 15 plus a
 * checksum): the first 15 name the org.
 */
export function sameOrg(organizationId: string, accountId: string | null): boolean {
  return (
    accountId !== null && accountId.length >= 15 && organizationId.slice(0, 15) === accountId.slice(0, 15)
  );
}

function outboundEntry(
  connection: ConnectionRow,
  notification: OutboundNotification,
  rawPayload: string,
): IncomingEntry {
  return {
    source: 'salesforce_outbound',
    connectionId: connection.id,
    dedupeKey: `sf:${notification.notificationId}`,
    rawPayload,
    objectType: notification.objectType,
    recordId: notification.recordId,
    fields: notification.fields,
    occurredAt: notification.occurredAt,
  };
}

/** One entry per notification; each keeps the whole message as its raw payload. */
export function outboundEntries(
  connection: ConnectionRow,
  message: OutboundMessage,
  rawPayload: string,
): IncomingEntry[] {
  const payloads = notificationPayloads(rawPayload, message);
  return message.notifications.map((notification, i) =>
    outboundEntry(connection, notification, payloads[i] ?? rawPayload),
  );
}

/**
 * An authenticated sender's unreadable message, kept for a person to look at. It is saved
 * as `failed` directly and never processed: there is nothing in it to process. The same
 * bytes sent again are the same entry.
 */
export async function keepMalformedMessage(
  ingest: HookIngest,
  connection: ConnectionRow,
  source: 'salesforce_outbound' | 'salesforce_transition',
  rawPayload: string,
  parserMessage: string,
): Promise<void> {
  const digest = createHash('sha256').update(rawPayload, 'utf8').digest('hex');
  await ingest.keepUnreadable(connection, {
    source,
    dedupeKey: `sf:malformed:${digest}`,
    rawPayload,
    reason: `malformed SOAP: ${parserMessage}`,
  });
}

/** What the transition URL was asked to do (its query string). */
export interface TransitionRequest {
  /** The milestone code to move the referral to. */
  status: string;
  /** The sObject field holding the refsync referral ID. */
  field: string;
  /** The sObject field whose text goes to the referrer as feedback. */
  feedbackField: string | undefined;
}

export type TransitionCheck =
  | { ok: true; entry: IncomingEntry }
  | { ok: false; status: 404 | 422; message: string };

/** Salesforce field names are case-insensitive. */
function fieldText(fields: Record<string, unknown>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(fields)) {
    if (key.toLowerCase() === wanted && typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/**
 * A transition notification names an existing referral of the connection's workspace
 * (404 otherwise) and asks for a milestone of that referral's program (422 otherwise).
 * Moving it is left to processing, which reads `requestedMilestone`. One that breaks the
 * rule for outside input is not looked at further: it is saved as a refused entry.
 */
export async function checkTransition(
  ingest: HookIngest,
  connection: ConnectionRow,
  notification: OutboundNotification,
  request: TransitionRequest,
  rawPayload: string,
): Promise<TransitionCheck> {
  const entry: IncomingEntry = {
    ...outboundEntry(connection, notification, rawPayload),
    source: 'salesforce_transition',
    requestedMilestone: request.status,
  };
  const refusal = ingest.refusalOf(entry);
  if (refusal) return { ok: true, entry: { ...entry, refusal } };
  const referralId = fieldText(notification.fields, request.field);
  if (!referralId) {
    return {
      ok: false,
      status: 404,
      message: `Notification ${notification.notificationId}: field ${request.field} holds no referral ID`,
    };
  }
  const milestones = await ingest.referralMilestones(connection.workspaceId, referralId);
  if (!milestones) {
    return {
      ok: false,
      status: 404,
      message: `Notification ${notification.notificationId}: referral ${referralId} was not found`,
    };
  }
  if (!milestones.includes(request.status)) {
    const codes = milestones.join(', ');
    return {
      ok: false,
      status: 422,
      message: `Milestone ${request.status} is not one of the program's milestones (${codes})`,
    };
  }
  const feedback = request.feedbackField ? fieldText(notification.fields, request.feedbackField) : undefined;
  return { ok: true, entry: { ...entry, feedback } };
}
