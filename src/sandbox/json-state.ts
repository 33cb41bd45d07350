import { getRandomValues } from 'node:crypto';
import type { SandboxStore } from './store.ts';

/**
 * Holds one sandbox's state in memory and writes it back through the `SandboxStore`. Writes
 * are gathered per event-loop turn (every change of one request lands in one write) and
 * `flush` writes synchronously, so closing never loses a change.
 */
export class JsonStateKeeper<T> {
  readonly state: T;
  private dirty = false;
  private scheduled: NodeJS.Immediate | null = null;

  constructor(
    private readonly store: SandboxStore,
    private readonly name: string,
    isState: (value: unknown) => value is T,
    empty: () => T,
  ) {
    const loaded = store.load(name);
    this.state = isState(loaded) ? loaded : empty();
  }

  changed(): void {
    this.dirty = true;
    if (this.scheduled !== null) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      this.flush();
    });
  }

  flush(): void {
    if (this.scheduled !== null) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.store.save(this.name, this.state);
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random characters from `alphabet` (uniform: 256 is not a multiple, so bytes above the cut are redrawn). */
export function randomChars(length: number, alphabet = ALPHANUMERIC): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    const bytes = new Uint8Array(length * 2);
    getRandomValues(bytes);
    for (const byte of bytes) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}
