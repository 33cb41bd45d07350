import { describe, expect, it } from 'vitest';
import { normalizeCompany, normalizeEmail, normalizeText } from './fuzzy.ts';

describe('normalizeEmail', () => {
  it.each([
    ['  Ana.Lopez@Example.COM ', 'ana.lopez@example.com'],
    ['ana+newsletter@example.com', 'ana@example.com'],
    ['A.N.A+x@googlemail.com', 'ana@gmail.com'],
    ['a.n.a@gmail.com', 'ana@gmail.com'],
    ['first.last@company.example', 'first.last@company.example'],
    ['not-an-email', undefined],
    ['@example.com', undefined],
    ['', undefined],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });
});

describe('names and companies', () => {
  it.each([
    ['Zoë  Quist', 'zoe quist'],
    ["O'Brien-Smith", 'o brien smith'],
    [null, ''],
  ])('normalizeText(%j) -> %j', (input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });

  it.each([
    ['Quist Holdings, Inc.', 'quist holdings'],
    ['ACME GmbH', 'acme'],
    ['Acme Co. Ltd', 'acme'],
    ['Inc', 'inc'],
  ])('normalizeCompany(%j) -> %j', (input, expected) => {
    expect(normalizeCompany(input)).toBe(expected);
  });
});
