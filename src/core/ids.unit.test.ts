import { describe, expect, it } from 'vitest';
import { newId } from './ids.ts';

describe('newId', () => {
  it('carries the kind prefix and sorts in creation order', () => {
    const ids = Array.from({ length: 2000 }, () => newId('referral'));
    expect(ids.every((id) => /^ref_[0-9a-z]{26}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
