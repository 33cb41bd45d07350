/**
 * The changes later capabilities react to. Each is written to the `events` table and fanned
 * out to the queues subscribed to it, in the transaction that made the change.
 */
export interface DomainEvents {
  'referral.created': { referralId: string; programId: string; memberId: string | null };
  'referral.milestone_changed': {
    referralId: string;
    programId: string;
    changeId: string;
    from: string | null;
    to: string;
  };
  'member.created': { memberId: string; programId: string };
  /** A person asked to push a referral or member again (push log retry). */
  'push.requested': { settingsId: string; subject: 'referral' | 'member'; subjectId: string };
  /** A CRM event was saved as a sales entry (or a person asked to process one again). */
  'sales_entry.received': { entryId: string };
  /** A sales entry waits for a person's decision (process rule "notify on review"). */
  'sales_entry.review_needed': { entryId: string; reason: string };
  /** A connection that needed reconnecting works again: waiting pushes resume. */
  'connection.reconnected': { connectionId: string };
  /** Reward ledger changes (src/rewards/states.ts); `reason` explains cancels and failures. */
  'reward.created': RewardEventPayload;
  'reward.approved': RewardEventPayload;
  'reward.paid': RewardEventPayload;
  'reward.failed': RewardEventPayload;
  'reward.canceled': RewardEventPayload;
  /** A sales entry ended `failed`; a person can edit and retry it. */
  'sales_entry.failed': { entryId: string; reason: string };
  /** The CRM refused a connection's tokens (or its address): a person must reconnect it. */
  'connection.needs_reauth': { connectionId: string; reason: string };
  /** A push a retry cannot fix failed (the CRM refused the record); its push log entry says why. */
  'push.failed': {
    logId: string;
    settingsId: string;
    subject: 'referral' | 'member';
    subjectId: string;
    crmCode: string | null;
    message: string;
  };
  /** A member asked for a sign-in link to the referrer portal; `link` is sealed (secret until mailed). */
  'member.sign_in_requested': { memberId: string; programId: string; link: string; expiresAt: string };
  /**
   * A connection's health alert began (src/connections/alerts.ts): `message` says in words what
   * is affected and what to do. Emitted once per alert while it holds.
   */
  'connection.alert_raised': ConnectionAlertPayload;
  /** The alert's condition ended; `message` is the alert's last wording, `since` when it began. */
  'connection.alert_cleared': ConnectionAlertPayload;
  /** An outbound webhook endpoint failed for days and was disabled. */
  'webhook_endpoint.disabled': { endpointId: string; url: string; reason: string };
}

export interface ConnectionAlertPayload {
  connectionId: string;
  /** `crm_field_missing`, `crm_rate_limited`, `connection_needs_reauth`, ... */
  code: string;
  /** Tells alerts of one code apart (`crm_field_missing:lead.score__c`). */
  key: string;
  message: string;
  /** When the condition began (ISO 8601). */
  since: string;
}

export interface RewardEventPayload {
  rewardId: string;
  programId: string;
  referralId: string;
  memberId: string | null;
  status: string;
  reason: string | null;
}

export type EventType = keyof DomainEvents;

export const eventTypes = [
  'referral.created',
  'referral.milestone_changed',
  'member.created',
  'push.requested',
  'sales_entry.received',
  'sales_entry.review_needed',
  'connection.reconnected',
  'reward.created',
  'reward.approved',
  'reward.paid',
  'reward.failed',
  'reward.canceled',
  'sales_entry.failed',
  'connection.needs_reauth',
  'push.failed',
  'webhook_endpoint.disabled',
  'member.sign_in_requested',
  'connection.alert_raised',
  'connection.alert_cleared',
] as const satisfies readonly EventType[];

/** One event's job: the event, with the workspace it belongs to. */
export interface EventJobOf<E extends EventType> {
  eventId: string;
  workspaceId: string;
  type: E;
  subjectId: string;
  payload: DomainEvents[E];
}

/**
 * What a job receives: one of the events `E`, told apart by `type`, so a subscriber that
 * checks the type has the payload of that event.
 */
export type EventJob<E extends EventType = EventType> = { [K in E]: EventJobOf<K> }[E];
