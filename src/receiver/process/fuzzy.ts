/**
 * Normalizing for fuzzy matching. Emails: trimmed, lower case, a `+tag` dropped from the
 * local part for every domain (tags are how people track sign-ups; they are never a
 * different person), and dots dropped for Gmail addresses (Gmail ignores them). Names and
 * companies: accents, punctuation and case removed, whitespace collapsed; companies also
 * lose legal suffixes (Inc, LLC, GmbH, ...).
 */

import { normalizeEmail, normalizeText } from '../../core/text-keys.ts';

export { normalizeEmail, normalizeText };

/** The domain an email's candidates are fetched by (Gmail's two domains are one). */
export function emailDomain(normalized: string): string {
  return normalized.slice(normalized.lastIndexOf('@') + 1);
}

const COMPANY_SUFFIXES = new Set([
  'inc',
  'incorporated',
  'llc',
  'ltd',
  'limited',
  'gmbh',
  'ag',
  'sa',
  'sas',
  'bv',
  'corp',
  'corporation',
  'co',
  'company',
  'plc',
  'pty',
]);

export function normalizeCompany(value: string | null | undefined): string {
  const words = normalizeText(value).split(' ').filter(Boolean);
  while (words.length > 1 && COMPANY_SUFFIXES.has(words.at(-1) ?? '')) words.pop();
  return words.join(' ');
}

/** Scores of the fuzzy methods: how sure a match is. */
export const FUZZY_SCORES = { fuzzy_email: 1, fuzzy_name_company: 0.8 } as const;
