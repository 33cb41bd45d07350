import { describe, expect, it } from 'vitest';
import { CrmError } from '../errors.ts';
import { inLists, selectWhereIn, soqlContains, soqlName, soqlString, uniqueNames } from './soql.ts';

describe('soqlString', () => {
  it.each([
    ['plain', "'plain'"],
    ["O'Brien", "'O\\'Brien'"],
    ['back\\slash', "'back\\\\slash'"],
    ["\\'", "'\\\\\\''"],
    ['say "hi"', '\'say \\"hi\\"\''],
    ['line\nbreak\r\ttab', "'line\\nbreak\\r\\ttab'"],
    ['100%_like', "'100%_like'"],
  ])('escapes %j', (value, literal) => {
    expect(soqlString(value)).toBe(literal);
  });
});

describe('soqlContains', () => {
  it.each([
    ['ann@x.example', "'%ann@x.example%'"],
    ["O'Brien", "'%O\\'Brien%'"],
    ['100%_like', "'%100\\%\\_like%'"],
    ['back\\slash', "'%back\\\\slash%'"],
  ])('makes a contains pattern of %j', (value, pattern) => {
    expect(soqlContains(value)).toBe(pattern);
  });
});

describe('soqlName', () => {
  it.each(['Email', 'Refsync_Referral_Id__c', 'ns__Field__c', 'ConvertedContact.Email'])(
    'accepts %s',
    (name) => {
      expect(soqlName(name)).toBe(name);
    },
  );

  it.each(['', 'Email FROM Lead', "Email'", '1Field', 'Email,Id', 'Account..Name'])('refuses %j', (name) => {
    expect(() => soqlName(name)).toThrow(CrmError);
  });
});

describe('query building', () => {
  it('keeps the first spelling of each name', () => {
    expect(uniqueNames(['Id', 'Email', 'id', 'EMAIL', 'Phone'])).toEqual(['Id', 'Email', 'Phone']);
  });

  it('splits IN lists by count and by encoded length', () => {
    const short = Array.from({ length: 450 }, (_, n) => soqlString(`v${n}`));
    expect(inLists(short, 200, 100_000).map((list) => list.length)).toEqual([200, 200, 50]);
    const long = Array.from({ length: 200 }, (_, n) => soqlString(`${'x'.repeat(90)}${n}@example.test`));
    const lists = inLists(long, 200, 12_000);
    expect(lists.length).toBeGreaterThan(1);
    expect(lists.flat()).toEqual(long);
    for (const list of lists) expect(encodeURIComponent(list.join(', ')).length).toBeLessThanOrEqual(12_000);
  });

  it('builds the lookup query', () => {
    expect(
      selectWhereIn('Lead', ['Id', 'Email'], 'Email', [soqlString('a@x.test'), soqlString("b'@x.test")]),
    ).toBe("SELECT Id, Email FROM Lead WHERE Email IN ('a@x.test', 'b\\'@x.test')");
  });
});
