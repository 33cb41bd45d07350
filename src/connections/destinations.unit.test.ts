import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from './destinations.ts';
import { excerpt, excerptLength, storedError } from './foreign-text.ts';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.9.9.9',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '13.110.0.1', '2606:4700::1111'])('lets %s through', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('foreign text', () => {
  it('keeps a short excerpt on one line and escapes markup where it is stored', () => {
    const text = excerpt(`<b>bad</b>\n${'x'.repeat(500)}`);
    expect(text.length).toBeLessThanOrEqual(excerptLength);
    expect(text).not.toContain('\n');
    expect(storedError(text)).toMatch(/^&#60;b&#62;bad&#60;\/b&#62; x+…$/);
  });
});
