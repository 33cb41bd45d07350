import { z } from 'zod';
import { textProblem } from '../core/outside-input.ts';

/** Text from a web page: trimmed, bounded, and storable (no NUL, no lone surrogate). */
export const pageText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => textProblem(value) === undefined, 'contains characters that cannot be stored');

export const pageEmail = pageText(254).pipe(z.email('must be an email address'));

/** Empty strings from forms mean "not given". */
export const optionalPageText = (max: number) =>
  pageText(max)
    .optional()
    .transform((value) => (value ? value : undefined));

export const prospectFields = {
  email: pageEmail,
  firstName: optionalPageText(100),
  lastName: optionalPageText(100),
  company: optionalPageText(255),
};

/** Zod issues as `{ field: message }`, the first message of each field. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.') || 'form';
    if (!(field in out)) out[field] = issue.message;
  }
  return out;
}
