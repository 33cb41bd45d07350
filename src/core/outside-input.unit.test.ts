import { describe, expect, it } from 'vitest';
import {
  dateProblem,
  describeIssues,
  ownValue,
  storableJson,
  storableText,
  textProblem,
  valueIssues,
} from './outside-input.ts';

const deep = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

describe('the rule for outside input', () => {
  it.each([
    ['plain text, accents and emoji 😀', undefined],
    ['a\u0000b', 'contains a NUL character'],
    ['\ud800', 'contains a lone surrogate'],
    ['x\udc00', 'contains a lone surrogate'],
    ['\udc00\ud800', 'contains a lone surrogate'],
  ])('textProblem(%j) is %j', (text, problem) => {
    expect(textProblem(text)).toBe(problem);
  });

  it.each([
    [new Date('1970-01-01T00:00:00Z'), undefined],
    [new Date('9999-12-31T23:59:59.999Z'), undefined],
    [new Date('1969-12-31T23:59:59.999Z'), 'is not between 1970-01-01 and 9999-12-31'],
    [new Date('0000-01-01T00:00:00Z'), 'is not between 1970-01-01 and 9999-12-31'],
    [new Date(253_402_300_800_000), 'is not between 1970-01-01 and 9999-12-31'],
    [new Date(Number.NaN), 'is not between 1970-01-01 and 9999-12-31'],
  ])('dateProblem(%s) is %j', (date, problem) => {
    expect(dateProblem(date)).toBe(problem);
  });

  it('names every bad string, key and level by its path', () => {
    const value = JSON.parse(
      '{"ok":"fine","note":"a\\u0000","list":["x","\\ud800"],"__proto__":1,"nested":{"constructor":2,"prototype":3}}',
    );
    expect(describeIssues(valueIssues(value, ['fields']))).toBe(
      'fields.note: contains a NUL character; fields.list.1: contains a lone surrogate; ' +
        'fields.__proto__: is a reserved name; fields.nested.constructor: is a reserved name; ' +
        'fields.nested.prototype: is a reserved name',
    );
    expect(valueIssues({ 'k\ud800': 1 })).toEqual([
      { path: ['k\ud800'], message: 'contains a lone surrogate' },
    ]);
    expect(describeIssues(valueIssues({ 'k\ud800': 1 }))).toBe('k\\ud800: contains a lone surrogate');
  });

  it('takes 32 levels, refuses 33, and walks 100,000 without overflowing', () => {
    expect(valueIssues(deep(32))).toEqual([]);
    expect(valueIssues(deep(33))).toEqual([
      { path: Array(32).fill('a'), message: 'is nested deeper than 32 levels' },
    ]);
    expect(valueIssues(deep(100_000))).toHaveLength(1);
  });

  it('refuses more than 10,000 keys and items', () => {
    expect(valueIssues({ list: Array(10_000).fill(0) })).toEqual([
      { path: ['list'], message: 'has more than 10000 keys and items' },
    ]);
    expect(valueIssues({ list: Array(9_999).fill(0) })).toEqual([]);
  });

  it('keeps what broke the rule as storable text', () => {
    expect(storableText('a\u0000b\ud800c😀')).toBe('a\\u0000b\\ud800c😀');
    expect(storableJson({ note: 'a\u0000', deep: deep(100_000) })).toMatch(
      /^\{"note":"a\\u0000","deep":\{"a":\{.*"\(nested deeper than 32 levels\)"\}+$/,
    );
  });

  it('looks outside keys up among own properties only', () => {
    const table: Record<string, string> = { deal: 'deals' };
    expect(ownValue(table, 'deal')).toBe('deals');
    expect(ownValue(table, '__proto__')).toBeUndefined();
    expect(ownValue(table, 'constructor')).toBeUndefined();
    expect(ownValue(table, 'hasOwnProperty')).toBeUndefined();
  });
});
