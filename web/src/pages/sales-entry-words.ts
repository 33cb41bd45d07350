import type { SalesEntryView } from '../types.ts';

/** How a referral or member was found, in words. */
export const matchMethodWords: Record<string, string> = {
  previous_run: 'the referral this entry matched before',
  referral_id: 'the refsync referral ID in the record',
  external_id: "the referral's external ID",
  pushed_record: 'the CRM record refsync created for the referral',
  referral_id_field: 'the referral ID field of the record',
  fuzzy_email: 'the same email address (fuzzy match)',
  fuzzy_name_company: 'the same name and company (fuzzy match)',
  member_referralCode: "the member's referral code",
  member_memberEmail: "the member's email",
  member_memberExternalId: "the member's external ID",
  member_memberId: 'the member ID',
};

export interface EntryWords {
  /** One line for the list. */
  headline: string;
  /** The steps, each a sentence: trigger, match, changes, outcome. */
  steps: string[];
}

function milestoneMove(changes: Record<string, unknown> | null): string | undefined {
  const moved = changes?.milestone as { from?: string | null; to?: string } | undefined;
  if (!moved?.to) return undefined;
  return moved.from ? `moved from ${moved.from} to ${moved.to}` : `set to ${moved.to}`;
}

/** Why an entry ended as it did, in the words an admin reads on its page. */
export function entryInWords(entry: SalesEntryView): EntryWords {
  const steps: string[] = [];
  const { trigger } = entry;
  if (trigger) {
    steps.push(
      `Trigger: ${trigger.object}.${trigger.field} is “${trigger.value}”, which moves a referral to ${trigger.milestone}${trigger.allowBackward ? ' (backwards too)' : ''}.`,
    );
  } else if (entry.status !== 'received') {
    steps.push('No status trigger fired for this entry.');
  }
  if (entry.matchMethod) {
    const how = matchMethodWords[entry.matchMethod] ?? entry.matchMethod;
    const score = entry.matchScore !== null && entry.matchScore < 1 ? `, score ${entry.matchScore}` : '';
    const who = entry.referralId ? 'the referral' : entry.memberId ? 'the member' : 'a record';
    steps.push(`Matched ${who} by ${how}${score}.`);
  } else if (trigger) {
    steps.push('No referral or member matched.');
  }
  const move = milestoneMove(entry.changes);
  if (move) steps.push(`Milestone ${move}.`);
  if (entry.changes?.referralCreated) steps.push('A new referral was added for the member.');
  const fields = entry.changes?.fields as Record<string, unknown> | undefined;
  if (fields && Object.keys(fields).length > 0)
    steps.push(`Fields changed: ${Object.keys(fields).join(', ')}.`);
  if (entry.changes?.held) steps.push('The change is held until someone approves or rejects it.');
  const outcome: Record<string, string> = {
    received: 'Waiting to be processed.',
    success: 'Done.',
    ignored: 'Ignored',
    review: 'Waiting for review',
    failed: 'Failed',
  };
  const end = entry.reason
    ? `${outcome[entry.status]?.replace(/\.$/, '')}: ${entry.reason}.`
    : (outcome[entry.status] ?? entry.status);
  steps.push(end);
  const headline =
    entry.status === 'success'
      ? [move ? `Milestone ${move}` : 'Applied', entry.matchMethod ? `(${entry.matchMethod})` : '']
          .filter(Boolean)
          .join(' ')
      : (entry.reason ?? outcome[entry.status] ?? entry.status);
  return { headline, steps };
}
