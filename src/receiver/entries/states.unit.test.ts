import { describe, expect, it } from 'vitest';
import { canMove, type EntryStatus } from './states.ts';

const statuses: EntryStatus[] = ['received', 'success', 'ignored', 'review', 'failed'];

describe('sales entry transitions', () => {
  it.each([
    ['received', 'success', true],
    ['received', 'review', true],
    ['failed', 'received', true],
    ['success', 'received', true],
    ['review', 'success', true],
    ['review', 'ignored', true],
    ['failed', 'success', false],
    ['success', 'ignored', false],
    ['ignored', 'review', false],
    ['received', 'received', false],
  ] as const)('%s -> %s: %s', (from, to, allowed) => {
    expect(canMove(from, to)).toBe(allowed);
  });

  it('lets every final state be processed again', () => {
    for (const status of statuses.filter((s) => s !== 'received'))
      expect(canMove(status, 'received')).toBe(true);
  });
});
