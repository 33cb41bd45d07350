import { describe, expect, it } from 'vitest';
import { SecretBox, safeEqual } from './crypto.ts';

describe('SecretBox', () => {
  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const box = new SecretBox('a-long-enough-secret-key');
    const sealed = box.seal('00D-refresh-token-value');
    expect(sealed).not.toContain('refresh-token');
    expect(box.open(sealed)).toBe('00D-refresh-token-value');
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses text sealed under another key or tampered with', () => {
    const sealed = new SecretBox('a-long-enough-secret-key').seal('token');
    expect(() => new SecretBox('another-long-secret-key').open(sealed)).toThrow();
    const parts = sealed.split('.');
    const tampered = [parts[0], parts[1], parts[2], `${parts[3]}AA`].join('.');
    expect(() => new SecretBox('a-long-enough-secret-key').open(tampered)).toThrow();
  });

  it('rejects short keys', () => {
    expect(() => new SecretBox('short')).toThrow(/at least 16/);
  });
});

describe('safeEqual', () => {
  it('compares by content', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
