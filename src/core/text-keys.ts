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

const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

export function normalizeEmail(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const email = value.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return undefined;
  let local = email.slice(0, at);
  let domain = email.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (GMAIL_DOMAINS.has(domain)) {
    local = local.replaceAll('.', '');
    domain = 'gmail.com';
  }
  return `${local}@${domain}`;
}

/** The stored lookup key of an email: `normalizeEmail`, or null. */
export function emailKey(value: string | null | undefined): string | null {
  return normalizeEmail(value ?? undefined) ?? null;
}
