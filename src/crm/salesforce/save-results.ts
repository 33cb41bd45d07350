import { CrmError } from '../errors.ts';
import type { WriteOutcome } from '../types.ts';
import { recordError, type SaveError } from './call-errors.ts';

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function saveErrors(value: unknown): SaveError[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry) => {
    const error = objectOf(entry);
    // Collections answer `statusCode`; single REST answers and jsforce's types say `errorCode`.
    const code = error.statusCode ?? error.errorCode;
    return {
      code: typeof code === 'string' ? code : 'UNKNOWN_ERROR',
      message: typeof error.message === 'string' ? error.message : '',
    };
  });
}

/**
 * Reads SaveResults (`{ id, success, errors }`), which Salesforce returns in request order,
 * one per record. Any other shape means the answer cannot be trusted record by record.
 */
export function writeOutcomes(results: unknown, expected: number): WriteOutcome[] {
  if (!Array.isArray(results) || results.length !== expected) throw unexpected(results, expected);
  return results.map(writeOutcome);
}

/** The outcome of a collection call that carried exactly one record. */
export function singleOutcome(results: unknown): WriteOutcome {
  const [only] = writeOutcomes(results, 1);
  if (only === undefined) throw unexpected(results, 1);
  return only;
}

export function writeOutcome(raw: unknown): WriteOutcome {
  const result = objectOf(raw);
  if (result.success === true && typeof result.id === 'string') return { ok: true, id: result.id };
  return { ok: false, error: recordError(saveErrors(result.errors)) };
}

function unexpected(results: unknown, expected: number): CrmError {
  const count = Array.isArray(results) ? results.length : 'no';
  return new CrmError(
    'unavailable',
    'UNEXPECTED_RESPONSE',
    `Salesforce answered ${count} save results for ${expected} records.`,
  );
}
