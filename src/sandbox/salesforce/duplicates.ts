import { SfError } from './errors.ts';
import { recordsWithValue } from './field-index.ts';
import type { OrgState, SfRecord } from './state.ts';

/** The active duplicate rules, as data: object, rule names and the field matched exactly. */
const DUPLICATE_RULES: Record<string, { rule: string; matchRule: string; field: string }> = {
  Lead: { rule: 'Standard_Lead_Duplicate_Rule', matchRule: 'Standard_Lead_Match_Rule_v1_0', field: 'Email' },
  Contact: {
    rule: 'Standard_Contact_Duplicate_Rule',
    matchRule: 'Standard_Contact_Match_Rule_v1_1',
    field: 'Email',
  },
};

const MESSAGE = "You're creating a duplicate record. We recommend you use an existing record instead.";

/**
 * Throws DUPLICATES_DETECTED when another live record of the same object has the same
 * e-mail (case-insensitive). The body carries `duplicateResut` — Salesforce's own spelling
 * in REST JSON, which clients read. `allowSave` is true: the rule only alerts, so the
 * `Sforce-Duplicate-Rule-Header: allowSave=true` header lets the save through.
 */
export function checkDuplicates(org: OrgState, type: string, candidate: SfRecord, version: string): void {
  const rule = DUPLICATE_RULES[type];
  if (!rule) return;
  const value = candidate[rule.field];
  if (typeof value !== 'string' || value === '') return;
  const matches = recordsWithValue(org, type, rule.field, value).filter(
    (r) => r.Id !== candidate.Id && r.IsDeleted !== true && r.IsConverted !== true,
  );
  if (matches.length === 0) return;
  const duplicateResut = {
    allowSave: true,
    duplicateRule: rule.rule,
    duplicateRuleEntityType: type,
    errorMessage: MESSAGE,
    matchResults: [
      {
        entityType: type,
        errors: [],
        matchEngine: 'ExactMatchEngine',
        matchRecords: matches.map((r) => ({
          additionalInformation: [],
          fieldDiffs: [],
          matchConfidence: 100.0,
          record: {
            attributes: { type, url: `/services/data/v${version}/sobjects/${type}/${String(r.Id)}` },
            Id: r.Id,
          },
        })),
        rule: rule.matchRule,
        size: matches.length,
        success: true,
      },
    ],
  };
  throw new SfError(400, 'DUPLICATES_DETECTED', MESSAGE, undefined, { duplicateResut });
}
