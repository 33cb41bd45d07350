/**
 * Keeping a CRM account's calls under its rate limit instead of running into 429s.
 *
 * A CRM such as HubSpot counts calls per account in a rolling window (100 per 10 s), at the
 * time each call arrives. A pacer lets a call go only when fewer than the usable share of the
 * limit are in its window, otherwise the call waits until one leaves it. A call counts from
 * when it goes until a window after its answer came (`done`): the CRM saw it somewhere in
 * between, however long it travelled or waited in a busy process. Calls wait in the order
 * they asked, so one busy batch does not starve another.
 *
 * The CRM's own count wins: `observe` takes the `remaining` it reports with each answer, so
 * calls of other processes of the same account are accounted for as soon as it tells, and a
 * 429 blocks the window (`blocked`).
 */

export interface RateLimit {
  /** Calls allowed per window. */
  max: number;
  intervalMs: number;
}

export interface PacerOptions extends RateLimit {
  /** Share of `max` this process uses; the rest is left for token refreshes and others. Default 0.95. */
  share?: number;
  /** Added to the window, for clocks that tick differently. Default 50 ms. */
  marginMs?: number;
  /** For tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One call counted by a pacer: `done` when its answer came (or it failed). */
export interface PacedCall {
  done(): void;
}

export class Pacer {
  #limit: RateLimit;
  readonly #share: number;
  readonly #marginMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** When each call of the window was answered; Infinity while it is in flight. */
  #calls: number[] = [];
  /** Nothing goes out before this (after a 429). */
  #blockedUntil = 0;
  /** The queue of waiting calls, as one promise chain. */
  #tail: Promise<void> = Promise.resolve();
  /** Calls made and time spent waiting for the limit, for metrics and tests. */
  calls = 0;
  waitedMs = 0;

  constructor(options: PacerOptions) {
    this.#limit = { max: options.max, intervalMs: options.intervalMs };
    this.#share = options.share ?? 0.95;
    this.#marginMs = options.marginMs ?? 50;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
  }

  get limit(): RateLimit {
    return { ...this.#limit };
  }

  /** Calls this process may have in one window. */
  get usable(): number {
    return Math.max(1, Math.floor(this.#limit.max * this.#share));
  }

  #window(): number {
    return this.#limit.intervalMs + this.#marginMs;
  }

  #forget(now: number): void {
    const from = now - this.#window();
    this.#calls = this.#calls.filter((at) => at > from);
  }

  /** How long the next call would wait now, in ms (0: it may go). */
  #waitFor(now: number): number {
    this.#forget(now);
    const blocked = Math.max(0, this.#blockedUntil - now);
    const over = this.#calls.length - this.usable + 1;
    if (over <= 0) return blocked;
    const answered = this.#calls.filter(Number.isFinite).sort((a, b) => a - b);
    // Every call of the window still in flight: look again shortly after one is answered.
    const leaves = answered[over - 1];
    return Math.max(blocked, leaves === undefined ? 20 : leaves + this.#window() - now);
  }

  /** Resolves when one more call may go; the caller says when its answer came. */
  take(): Promise<PacedCall> {
    const turn = this.#tail.then(async () => {
      for (;;) {
        const wait = this.#waitFor(this.#now());
        if (wait <= 0) break;
        this.waitedMs += wait;
        await this.#sleep(wait);
      }
      this.calls++;
      this.#calls.push(Number.POSITIVE_INFINITY);
      let finished = false;
      return {
        done: () => {
          if (finished) return;
          finished = true;
          // In-flight marks are all alike: one of them becomes this answer's time.
          const mark = this.#calls.indexOf(Number.POSITIVE_INFINITY);
          if (mark >= 0) this.#calls[mark] = this.#now();
        },
      };
    });
    this.#tail = turn.then(
      () => {},
      () => {},
    );
    return turn;
  }

  /**
   * What the CRM said with an answer: its limit, and how many calls it still allows in the
   * current window. Calls it counted that this pacer did not make (another process) are
   * added as if answered now.
   */
  observe(answer: {
    max?: number | undefined;
    intervalMs?: number | undefined;
    remaining?: number | undefined;
  }): void {
    if (
      answer.max !== undefined &&
      answer.max > 0 &&
      answer.intervalMs !== undefined &&
      answer.intervalMs > 0
    ) {
      this.#limit = { max: answer.max, intervalMs: answer.intervalMs };
    }
    if (answer.remaining === undefined || answer.remaining < 0) return;
    const now = this.#now();
    this.#forget(now);
    const unknown = this.#limit.max - answer.remaining - this.#calls.length;
    for (let i = 0; i < unknown; i++) this.#calls.push(now);
  }

  /** The CRM refused a call for its limit: nothing goes out for `ms`. */
  blocked(ms: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + ms);
  }
}

/** One pacer per CRM account (e.g. per HubSpot portal), shared by every call of this process. */
export class Pacers {
  readonly #byAccount = new Map<string, Pacer>();

  constructor(readonly defaults: PacerOptions) {}

  of(account: string): Pacer {
    let pacer = this.#byAccount.get(account);
    if (!pacer) {
      pacer = new Pacer(this.defaults);
      this.#byAccount.set(account, pacer);
    }
    return pacer;
  }
}
