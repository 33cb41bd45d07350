import { AppError } from '../../core/errors.ts';

/**
 * A sales entry's life. It is saved `received` and a job processes it once, ending it in one
 * of four states: `success` (a referral was changed or added; `changes` says how), `ignored`
 * (no status trigger fired, or the change was refused: approved referrals are locked, older
 * events do not undo newer ones), `review` (held for a person: the plan it would apply is
 * kept in `changes.held`) or `failed` (nothing matched, or the CRM or the data refused; the
 * reason says what to fix). Any final state can go back to `received` to be processed
 * again (a retry, usually after an edit of its fields or a rule change); a `review` also
 * ends through a person's decision: approved (`success`) or rejected (`ignored`).
 */
export type EntryStatus = 'received' | 'success' | 'ignored' | 'review' | 'failed';

export const ENTRY_TRANSITIONS: ReadonlyArray<{ from: EntryStatus; to: EntryStatus }> = [
  { from: 'received', to: 'success' },
  { from: 'received', to: 'ignored' },
  { from: 'received', to: 'review' },
  { from: 'received', to: 'failed' },
  { from: 'success', to: 'received' },
  { from: 'ignored', to: 'received' },
  { from: 'review', to: 'received' },
  { from: 'failed', to: 'received' },
  { from: 'review', to: 'success' },
  { from: 'review', to: 'ignored' },
];

export function canMove(from: EntryStatus, to: EntryStatus): boolean {
  return ENTRY_TRANSITIONS.some((transition) => transition.from === from && transition.to === to);
}

export function assertMove(from: EntryStatus, to: EntryStatus, what: string): void {
  if (!canMove(from, to)) {
    throw new AppError('conflict', `The sales entry is ${from}; it cannot be ${what}`, {
      details: { status: from },
    });
  }
}
