import type { DryRunResult } from '../types.ts';

/** Match methods that name the referral itself (the others are fuzzy or a member). */
const directMethods = ['previous_run', 'referral_id', 'external_id', 'pushed_record', 'referral_id_field'];

/** Which process rule decided, in words, from the outcome and how the match was made. */
export function processRuleWords(result: DryRunResult): string {
  const rules = result.processRules;
  const onOff = (on: boolean) => (on ? 'on' : 'off');
  const method = result.match.method;
  if (!result.trigger) return 'No process rule applies: no trigger fired, so the entry would be ignored.';
  if (result.outcome === 'review' && rules.reviewDeniedToPositive && result.reason?.includes('is denied'))
    return '“Review a denied referral that would become qualified or approved” is on: the change would wait for review.';
  if (method && directMethods.includes(method))
    return `“Process direct matches automatically” is ${onOff(rules.autoProcessDirect)}: ${result.outcome === 'review' ? 'the change would wait for review' : 'the change would apply at once'}.`;
  if (method?.startsWith('fuzzy_'))
    return `“Process fuzzy matches automatically” is ${onOff(rules.autoProcessFuzzy)}: ${result.outcome === 'review' ? 'the change would wait for review' : 'the change would apply at once'}.`;
  if (method?.startsWith('member_'))
    return 'A member matched: a new referral would be added for them at once.';
  return `“Review entries that match no referral and no member” is ${onOff(rules.reviewWhenNoMemberMatch)}: the entry would ${rules.reviewWhenNoMemberMatch ? 'wait for review' : 'fail, to be edited and retried'}.`;
}
