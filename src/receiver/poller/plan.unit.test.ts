import { describe, expect, it } from 'vitest';
import type { MatchRule, StatusTrigger } from '../tables.ts';
import { pollTargets } from './plan.ts';

const trigger = (object: string, field: string): StatusTrigger => ({
  object,
  field,
  value: 'x',
  milestone: 'm',
});
const match = (object: string, field: string): MatchRule => ({ object, field, matchOn: 'referralId' });

const settings = (
  rules: Partial<{
    enabled: boolean;
    statusTriggers: StatusTrigger[];
    fieldUpdates: Array<{ object: string; field: string; target: string }>;
    targetMatch: MatchRule[];
    memberMatch: MatchRule[];
  }>,
) => ({ enabled: true, statusTriggers: [], fieldUpdates: [], targetMatch: [], memberMatch: [], ...rules });

describe('pollTargets', () => {
  it('polls the objects of triggers and field updates, with every field the rules read on them', () => {
    expect(
      pollTargets('salesforce', [
        settings({
          statusTriggers: [trigger('Opportunity', 'StageName'), trigger('lead', 'Status')],
          fieldUpdates: [{ object: 'Lead', field: 'Company', target: 'referral.company' }],
          targetMatch: [match('Lead', 'Referral_Id__c'), match('Contact', 'Referral_Id__c')],
          memberMatch: [match('LEAD', 'status'), match('Lead', 'Referral_Code__c')],
        }),
        settings({ statusTriggers: [trigger('Opportunity', 'Amount')] }),
      ]),
    ).toEqual([
      { object: 'Lead', fields: ['Status', 'Company', 'Referral_Id__c', 'Referral_Code__c'] },
      { object: 'Opportunity', fields: ['StageName', 'Amount'] },
    ]);
  });

  it('ignores disabled settings and objects the poll does not read', () => {
    expect(
      pollTargets('salesforce', [
        settings({ enabled: false, statusTriggers: [trigger('Lead', 'Status')] }),
        settings({ statusTriggers: [trigger('Case', 'Status')] }),
      ]),
    ).toEqual([]);
  });

  it('accepts HubSpot singulars and type ids', () => {
    expect(
      pollTargets('hubspot', [
        settings({
          statusTriggers: [trigger('deal', 'dealstage'), trigger('0-1', 'lifecyclestage')],
          targetMatch: [match('deals', 'refsync_referral_id')],
        }),
      ]),
    ).toEqual([
      { object: 'contacts', fields: ['lifecyclestage'] },
      { object: 'deals', fields: ['dealstage', 'refsync_referral_id'] },
    ]);
  });
});
