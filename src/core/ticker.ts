/** Work a process repeats on a timer (offering scheduled jobs), never two rounds at once. */
export interface Ticker {
  /** Ends the ticking and waits for a round under way. */
  stop(): Promise<void>;
}

/**
 * Runs `work` now and then every `everyMs`; a round still running when the next is due makes
 * that one skip. A failed round goes to `onError`, and the next round is the retry. The timer
 * does not keep the process alive.
 */
export function startTicker(
  everyMs: number,
  work: () => Promise<void>,
  onError: (error: unknown) => void,
): Ticker {
  let round: Promise<void> | undefined;
  const tick = () => {
    if (round) return;
    round = work()
      .catch(onError)
      .finally(() => {
        round = undefined;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  tick();
  return {
    stop: async () => {
      clearInterval(timer);
      await round;
    },
  };
}
