import { describe, expect, it } from 'vitest';
import { CrmError } from '../errors.ts';
import { modifiedSinceSoql, modifiedWithinSecondSoql, soqlDateTime } from './modified.ts';

const at = new Date(Date.UTC(2026, 2, 5, 14, 7, 9, 700));

describe('soqlDateTime', () => {
  it.each([
    [at, '2026-03-05T14:07:09Z'],
    [new Date(Date.UTC(2026, 0, 1)), '2026-01-01T00:00:00Z'],
    [new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)), '1999-12-31T23:59:59Z'],
    [new Date(0), '1970-01-01T00:00:00Z'],
  ])('writes %s as %s (UTC, whole seconds rounded down, unquoted)', (date, literal) => {
    expect(soqlDateTime(date)).toBe(literal);
  });

  it.each([new Date(Number.NaN), new Date(-1), new Date(Date.UTC(10_000, 0, 1))])('refuses %s', (date) => {
    expect(() => soqlDateTime(date)).toThrow(CrmError);
  });
});

describe('modifiedSinceSoql', () => {
  it('selects the times, the fields once each and, on Lead, the conversion', () => {
    expect(modifiedSinceSoql('Lead', ['Status', 'Email', 'status', 'Id'], at, 500)).toBe(
      'SELECT Id, CreatedDate, LastModifiedDate, SystemModstamp, Status, Email, IsConverted, ConvertedContactId ' +
        'FROM Lead WHERE SystemModstamp > 2026-03-05T14:07:09Z ORDER BY SystemModstamp ASC, Id ASC LIMIT 500',
    );
  });

  it('reads parent paths and custom fields', () => {
    expect(modifiedSinceSoql('Opportunity', ['StageName', 'Account.Name', 'Referral_Id__c'], at, 2000)).toBe(
      'SELECT Id, CreatedDate, LastModifiedDate, SystemModstamp, StageName, Account.Name, Referral_Id__c ' +
        'FROM Opportunity WHERE SystemModstamp > 2026-03-05T14:07:09Z ORDER BY SystemModstamp ASC, Id ASC LIMIT 2000',
    );
  });

  it.each([
    ['Lead WHERE Id != null', ['Status']],
    ['Lead', ["Status FROM Lead WHERE Name = 'x'"]],
    ['Lead', ['Status,Email']],
    ['Lead', ["Status' OR Name != '"]],
    ['Lead--', ['Status']],
  ])('refuses names that are not API names: %s %j', (object, fields) => {
    expect(() => modifiedSinceSoql(object, fields, at, 10)).toThrow(CrmError);
  });

  it.each([0, -1, 1.5, 50_001, Number.NaN])('refuses LIMIT %s', (limit) => {
    expect(() => modifiedSinceSoql('Lead', ['Status'], at, limit)).toThrow(CrmError);
  });
});

describe('modifiedWithinSecondSoql', () => {
  it('reads the whole second that holds the time', () => {
    expect(modifiedWithinSecondSoql('Contact', ['Email'], at)).toBe(
      'SELECT Id, CreatedDate, LastModifiedDate, SystemModstamp, Email FROM Contact ' +
        'WHERE SystemModstamp >= 2026-03-05T14:07:09Z AND SystemModstamp < 2026-03-05T14:07:10Z ' +
        'ORDER BY SystemModstamp ASC, Id ASC',
    );
  });
});
