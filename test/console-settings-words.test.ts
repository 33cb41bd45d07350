import { describe, expect, it } from 'vitest';
import { fieldLabel, optionLabel } from '../web/src/crm-types.ts';
import { processRuleWords } from '../web/src/pages/dry-run-words.ts';
import { sourceChoices, toApi, toRows } from '../web/src/pages/mapping-values.ts';
import type { DryRunResult } from '../web/src/types.ts';

/** What the settings editors show and send, without a browser. */

const number = {
  name: 'Seats__c',
  label: 'Seats',
  type: 'number',
  required: false,
  createable: true,
  updateable: true,
  custom: true,
};

describe('CRM pickers', () => {
  it('name a field by label, API name and type, and mark it required', () => {
    expect(fieldLabel(number)).toBe('Seats (Seats__c) · number');
    expect(
      fieldLabel({ ...number, name: 'LastName', label: 'Last Name', type: 'string', required: true }),
    ).toBe('Last Name (LastName) · string · required');
    expect(fieldLabel({ ...number, label: 'Seats__c' })).toBe('Seats__c · number');
  });

  it('show a listed value by its label with the value records hold', () => {
    expect(optionLabel({ value: 'closedwon', label: 'Closed Won', group: 'Sales Pipeline' })).toBe(
      'Closed Won (closedwon)',
    );
    expect(optionLabel({ value: 'Working - Contacted', label: 'Working - Contacted' })).toBe(
      'Working - Contacted',
    );
  });
});

describe('push mappings', () => {
  it('send fixed values typed as the CRM field, and sources with their fallback', () => {
    const rows = [
      { crmField: 'Seats__c', mode: 'fixed' as const, from: '', value: '12' },
      { crmField: 'Seats__c', mode: 'source' as const, from: 'referral.custom.seats', value: '' },
      { crmField: 'Opt_In__c', mode: 'fixed' as const, from: '', value: 'true' },
      { crmField: 'Note__c', mode: 'source' as const, from: 'referral.sourceNote', value: 'none' },
    ];
    const fields = [
      number,
      { ...number, name: 'Opt_In__c', type: 'boolean' },
      { ...number, name: 'Note__c', type: 'string' },
    ];
    expect(toApi(rows, fields)).toEqual([
      { crmField: 'Seats__c', value: 12 },
      { crmField: 'Seats__c', from: 'referral.custom.seats' },
      { crmField: 'Opt_In__c', value: true },
      { crmField: 'Note__c', from: 'referral.sourceNote', value: 'none' },
    ]);
    // A value the field cannot take goes as typed: the API names it beside the field.
    expect(toApi([{ crmField: 'Seats__c', mode: 'fixed', from: '', value: 'many' }], fields)).toEqual([
      { crmField: 'Seats__c', value: 'many' },
    ]);
  });

  it('read saved mappings back into rows', () => {
    expect(
      toRows([
        { crmField: 'Seats__c', value: 12 },
        { crmField: 'Company', from: 'referral.company', value: 'Unknown' },
      ]),
    ).toEqual([
      { crmField: 'Seats__c', mode: 'fixed', from: '', value: '12' },
      { crmField: 'Company', mode: 'source', from: 'referral.company', value: 'Unknown' },
    ]);
  });

  it("offer referral, member and the program's custom fields; a member push has no referral", () => {
    const seats = { key: 'seats', label: 'Seats', type: 'number' as const };
    const tier = { key: 'tier', label: 'Tier', type: 'text' as const };
    const referral = sourceChoices('referral', [seats], [tier]);
    expect(referral).toContainEqual({
      value: 'referral.firstName',
      label: 'First name (referral.firstName)',
      group: 'Referral',
    });
    expect(referral).toContainEqual({
      value: 'referral.custom.seats',
      label: 'Seats (referral.custom.seats, number)',
      group: "Referral's custom fields",
    });
    expect(referral).toContainEqual({
      value: 'member.custom.tier',
      label: 'Tier (member.custom.tier, text)',
      group: "Member's custom fields",
    });
    const member = sourceChoices('member', [seats], [tier]).map((choice) => choice.value);
    expect(member).toContain('member.referralCode');
    expect(member.filter((value) => value.startsWith('referral.'))).toEqual([]);
  });
});

describe('dry run words', () => {
  const base: DryRunResult = {
    records: { object: 'Lead', recordId: '00Q1', values: {}, related: {} },
    trigger: { object: 'Lead', field: 'Status', value: 'Working - Contacted', milestone: 'qualified' },
    match: { referralId: 'ref_1', memberId: null, method: 'referral_id', score: 1 },
    outcome: 'success',
    reason: null,
    milestone: { from: 'submitted', to: 'qualified', allowBackward: false },
    newReferral: null,
    fieldChanges: {},
    processRules: {
      autoProcessDirect: true,
      autoProcessFuzzy: false,
      reviewWhenNoMemberMatch: false,
      reviewDeniedToPositive: true,
      notifyOnReview: false,
    },
  };

  it('name the process rule that decided and whether it is on', () => {
    expect(processRuleWords(base)).toBe(
      '“Process direct matches automatically” is on: the change would apply at once.',
    );
    expect(
      processRuleWords({ ...base, outcome: 'review', match: { ...base.match, method: 'fuzzy_email' } }),
    ).toBe('“Process fuzzy matches automatically” is off: the change would wait for review.');
    expect(
      processRuleWords({
        ...base,
        outcome: 'review',
        reason: 'the referral is denied (lost); moving it to won needs review',
      }),
    ).toMatch(/^“Review a denied referral that would become qualified or approved” is on/);
    expect(
      processRuleWords({
        ...base,
        outcome: 'failed',
        match: { referralId: null, memberId: null, method: null, score: null },
      }),
    ).toBe(
      '“Review entries that match no referral and no member” is off: the entry would fail, to be edited and retried.',
    );
    expect(processRuleWords({ ...base, trigger: null, outcome: 'ignored' })).toMatch(/no trigger fired/);
  });
});
