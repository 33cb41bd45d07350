import { KEY_PREFIXES, makeId } from '../ids.ts';
import type { OrgState, OutboundRule, SfRecord } from '../state.ts';

/** A record write as the outbound-message rules see it; `before` is null on create. */
export interface RecordChange {
  object: string;
  before: SfRecord | null;
  after: SfRecord;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return a === b;
}

function matches(rule: OutboundRule, change: RecordChange): boolean {
  if (!rule.active || rule.object !== change.object) return false;
  const { condition } = rule;
  switch (condition.kind) {
    case 'any-change':
      return true;
    case 'created':
      return change.before === null;
    case 'field-equals': {
      const nowMatches = sameValue(change.after[condition.field], condition.value);
      if (!nowMatches) return false;
      // "Created, and any time it's edited to subsequently meet criteria" unless everyTime is set.
      if (condition.everyTime || change.before === null) return true;
      return !sameValue(change.before[condition.field], condition.value);
    }
  }
}

/**
 * Queues one notification per matching rule. Runs inside the write, so a rolled-back
 * transaction (allOrNone) also drops the notifications it queued.
 */
export function queueNotifications(org: OrgState, change: RecordChange, now: number): void {
  const recordId = change.after.Id;
  if (typeof recordId !== 'string') return;
  for (const rule of org.outbound.rules) {
    if (!matches(rule, change)) continue;
    org.sequence += 1;
    org.outbound.queue.push({
      id: makeId(KEY_PREFIXES.OutboundNotification, org.pod, org.sequence),
      ruleId: rule.id,
      object: change.object,
      recordId,
      queuedAt: now,
      attempts: 0,
      nextAttemptAt: now,
    });
  }
}
