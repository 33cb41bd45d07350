import { randomBytes } from 'node:crypto';
import { idChecksum, KEY_PREFIXES } from '../ids.ts';

interface Cursor {
  orgId: string;
  records: Record<string, unknown>[];
  batchSize: number;
  expiresAt: number;
}

/** Server-side query cursors live this long, as Salesforce's do (15 minutes of inactivity). */
const CURSOR_TTL_MS = 15 * 60_000;
const MAX_CURSORS = 2000;

/**
 * Remaining rows of queries larger than one batch, keyed by a `01g…` locator. Kept in
 * memory only: like a real org, a restart forgets open cursors.
 */
export class CursorStore {
  private readonly cursors = new Map<string, Cursor>();

  open(orgId: string, records: Record<string, unknown>[], batchSize: number, now: number): string {
    this.prune(now);
    const body = `${KEY_PREFIXES.QueryLocator}${randomBytes(9).toString('base64url').replace(/[-_]/g, '0').slice(0, 12)}`;
    const locator = body + idChecksum(body);
    this.cursors.set(locator, { orgId, records, batchSize, expiresAt: now + CURSOR_TTL_MS });
    return locator;
  }

  get(orgId: string, locator: string, now: number): Cursor | undefined {
    const cursor = this.cursors.get(locator);
    if (!cursor || cursor.orgId !== orgId || cursor.expiresAt < now) return undefined;
    cursor.expiresAt = now + CURSOR_TTL_MS;
    return cursor;
  }

  private prune(now: number): void {
    for (const [key, cursor] of this.cursors) {
      if (cursor.expiresAt < now) this.cursors.delete(key);
    }
    while (this.cursors.size >= MAX_CURSORS) {
      const oldest = this.cursors.keys().next();
      if (oldest.done) break;
      this.cursors.delete(oldest.value);
    }
  }
}
