/**
 * Keeping a CRM account's calls under its rate limit instead of running into 429s.
 *
 * A CRM such as HubSpot counts calls per account in a rolling window (100 per 10 s). A pacer
 * keeps the send times of the calls of the last window and lets a call go only when fewer
 * than the usable share of the limit went out in it; otherwise the call waits until the
 * oldest one leaves the window. Calls wait in the order they asked, so one busy batch does
 * not starve another. The window is counted a little longer than the CRM's (`marginMs`),
 * because the CRM counts arrival times and a call's travel time varies.
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
  /** Added to the window to absorb travel-time differences. Default 250 ms. */
  marginMs?: number;
  /** For tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Pacer {
  #limit: RateLimit;
  readonly #share: number;
  readonly #marginMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Send times of the calls in the current window, oldest first. */
  #sent: number[] = [];
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
    this.#marginMs = options.marginMs ?? 250;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
  }

  get limit(): RateLimit {
    return { ...this.#limit };
  }

  /** Calls this process may have in flight in one window. */
  get usable(): number {
    return Math.max(1, Math.floor(this.#limit.max * this.#share));
  }

  #window(): number {
    return this.#limit.intervalMs + this.#marginMs;
  }

  #forget(now: number): void {
    const from = now - this.#window();
    let drop = 0;
    while (drop < this.#sent.length && (this.#sent[drop] ?? 0) <= from) drop++;
    if (drop > 0) this.#sent.splice(0, drop);
  }

  /** How long the next call would wait now, in ms (0: it may go). */
  #waitFor(now: number): number {
    this.#forget(now);
    const blocked = Math.max(0, this.#blockedUntil - now);
    if (this.#sent.length < this.usable) return blocked;
    const oldest = this.#sent[this.#sent.length - this.usable] ?? now;
    return Math.max(blocked, oldest + this.#window() - now);
  }

  /** Resolves when one more call may go, and counts it as sent. */
  take(): Promise<void> {
    const turn = this.#tail.then(async () => {
      for (;;) {
        const wait = this.#waitFor(this.#now());
        if (wait <= 0) break;
        this.waitedMs += wait;
        await this.#sleep(wait);
      }
      this.#sent.push(this.#now());
      this.calls++;
    });
    this.#tail = turn.catch(() => {});
    return turn;
  }

  /**
   * What the CRM said with an answer: its limit, and how many calls it still allows in the
   * current window. Calls it counted that this pacer did not send (another process) are
   * added as if sent now.
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
    const usedByCrm = this.#limit.max - answer.remaining;
    const unknown = usedByCrm - this.#sent.length;
    for (let i = 0; i < unknown; i++) this.#sent.push(now);
  }

  /** The CRM refused a call for its limit: nothing goes out for `ms`. */
  blocked(ms: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + ms);
  }
}

/** One pacer per CRM account (e.g. per HubSpot portal), shared by every call of this process. */
export class Pacers {
  readonly #byAccount = new Map<string, Pacer>();

  constructor(readonly defaults: RateLimit) {}

  of(account: string): Pacer {
    let pacer = this.#byAccount.get(account);
    if (!pacer) {
      pacer = new Pacer(this.defaults);
      this.#byAccount.set(account, pacer);
    }
    return pacer;
  }
}
