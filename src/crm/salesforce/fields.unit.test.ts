import type { Field } from 'jsforce';
import { describe, expect, it } from 'vitest';
import { crmField } from './fields.ts';

const describeField = (extra: Partial<Field>): Field =>
  ({
    name: 'Status',
    label: 'Status',
    type: 'picklist',
    createable: true,
    updateable: true,
    nillable: true,
    defaultedOnCreate: false,
    custom: false,
    picklistValues: [],
    ...extra,
  }) as Field;

describe('crmField', () => {
  it('lists the active picklist values only, with their labels', () => {
    const field = crmField(
      describeField({
        picklistValues: [
          { value: 'Open', label: 'Open - Not Contacted', active: true, defaultValue: true, validFor: null },
          { value: 'Old', label: 'Retired value', active: false, defaultValue: false, validFor: null },
          { value: 'Working', label: '', active: true, defaultValue: false, validFor: null },
        ] as Field['picklistValues'],
      }),
    );
    expect(field.options).toEqual([
      { value: 'Open', label: 'Open - Not Contacted' },
      { value: 'Working', label: 'Working' },
    ]);
  });

  it('gives free and multi-select fields no options', () => {
    expect(crmField(describeField({ type: 'string', picklistValues: [] })).options).toBeUndefined();
    const multi = crmField(
      describeField({
        type: 'multipicklist',
        picklistValues: [
          { value: 'A', label: 'A', active: true, defaultValue: false, validFor: null },
        ] as Field['picklistValues'],
      }),
    );
    expect(multi.options).toBeUndefined();
  });
});
