/**
 * Text as people compare it: accents, punctuation and case removed, whitespace collapsed
 * (`Müller-Lüdenscheidt` and `MULLER  ludenscheidt` are both `muller ludenscheidt`). The
 * fuzzy matcher compares names this way, and referrals keep their last name's key so the
 * candidates for a name can be found by it.
 */
export function normalizeText(value: string | null | undefined): string {
  if (!value) return '';
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The stored lookup key of a name: its normalised text, or null when nothing is left. */
export function nameKey(value: string | null | undefined): string | null {
  return normalizeText(value) || null;
}
