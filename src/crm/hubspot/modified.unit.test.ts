import { describe, expect, it } from 'vitest';
import { lastModifiedProperty, modifiedSearchRequest } from './modified.ts';

describe('lastModifiedProperty', () => {
  it.each([
    ['contacts', 'lastmodifieddate'],
    ['CONTACTS', 'lastmodifieddate'],
    ['deals', 'hs_lastmodifieddate'],
    ['companies', 'hs_lastmodifieddate'],
    ['2-1234', 'hs_lastmodifieddate'],
  ])('%s keeps it in %s', (object, property) => {
    expect(lastModifiedProperty(object)).toBe(property);
  });
});

describe('modifiedSearchRequest', () => {
  const at = new Date(Date.UTC(2026, 2, 5, 14, 7, 9, 700));

  it('filters after the time in epoch milliseconds, oldest change first', () => {
    expect(
      modifiedSearchRequest('deals', ['dealstage', 'amount'], { operator: 'GT', at }, 100, undefined),
    ).toEqual({
      filterGroups: [
        { filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GT', value: String(at.getTime()) }] },
      ],
      sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['dealstage', 'amount', 'hs_lastmodifieddate', 'createdate'],
      limit: 100,
    });
  });

  it('completes one millisecond with EQ, from a page cursor', () => {
    const body = modifiedSearchRequest('contacts', ['email'], { operator: 'EQ', at }, 50, '100');
    expect(body.filterGroups?.[0]?.filters?.[0]).toMatchObject({
      propertyName: 'lastmodifieddate',
      operator: 'EQ',
    });
    expect(body).toMatchObject({ after: '100', limit: 50 });
  });
});
