import { createHash, timingSafeEqual } from 'node:crypto';
import { randomChars } from './json-state.ts';

/**
 * API keys of the payment sandboxes are shown once, when made, and kept only as a SHA-256
 * hash plus their last four characters (what a dashboard shows to tell keys apart).
 */
export interface StoredKey {
  hash: string;
  last4: string;
  revoked: boolean;
  createdAt: string;
}

export function newKey(prefix: string, length: number): { key: string; stored: StoredKey } {
  const key = `${prefix}${randomChars(length)}`;
  return {
    key,
    stored: { hash: hashKey(key), last4: key.slice(-4), revoked: false, createdAt: new Date().toISOString() },
  };
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented key against a stored hash. */
export function keyMatches(stored: StoredKey, presentedHash: string): boolean {
  return timingSafeEqual(Buffer.from(stored.hash, 'hex'), Buffer.from(presentedHash, 'hex'));
}
