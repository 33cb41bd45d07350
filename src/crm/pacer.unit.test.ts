import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.ts';

/** A pacer on a fake clock: `sleep` moves the clock, so waits are exact and instant. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('pacer', () => {
  it('lets the usable share of the limit go at once, then one call per answer leaving the window', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ max: 10, intervalMs: 1000, share: 1, marginMs: 100, ...clock });
    const sentAt: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, () =>
        pacer.take().then((call) => {
          sentAt.push(clock.now());
          call.done();
        }),
      ),
    );
    expect(sentAt.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(sentAt.slice(10, 20)).toEqual(Array(10).fill(1100));
    expect(sentAt.slice(20)).toEqual(Array(5).fill(2200));
    // No window of 1000 ms ever holds more than 10 sends.
    for (const [i, at] of sentAt.entries()) {
      expect(sentAt.filter((other, j) => j >= i && other < at + 1000).length).toBeLessThanOrEqual(10);
    }
  });

  it('counts a call until a window after its answer, however late the answer', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ max: 1, intervalMs: 1000, share: 1, marginMs: 0, ...clock });
    const slow = await pacer.take();
    let sentAt: number | undefined;
    const next = pacer.take().then((call) => {
      sentAt = clock.now();
      call.done();
    });
    // The pacer looks again and again while the slow call is out; nothing goes.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sentAt).toBeUndefined();
    const answeredAt = clock.now();
    slow.done();
    await next;
    expect(sentAt).toBeGreaterThanOrEqual(answeredAt + 1000);
  });

  it('keeps 5% of the limit free by default', () => {
    expect(new Pacer({ max: 100, intervalMs: 10_000 }).usable).toBe(95);
    expect(new Pacer({ max: 1, intervalMs: 10_000 }).usable).toBe(1);
  });

  it('counts calls the CRM saw from elsewhere and adopts the limit it reports', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ max: 100, intervalMs: 10_000, share: 1, marginMs: 0, ...clock });
    (await pacer.take()).done();
    // The CRM says 5 of 10 are left in a 1 s window: 4 calls came from elsewhere.
    pacer.observe({ max: 10, intervalMs: 1000, remaining: 5 });
    expect(pacer.limit).toEqual({ max: 10, intervalMs: 1000 });
    for (let i = 0; i < 5; i++) (await pacer.take()).done();
    expect(clock.now()).toBe(0);
    (await pacer.take()).done();
    expect(clock.now()).toBe(1000);
  });

  it('sends nothing while blocked after a 429', async () => {
    const clock = fakeClock();
    const pacer = new Pacer({ max: 100, intervalMs: 10_000, ...clock });
    pacer.blocked(3000);
    await pacer.take();
    expect(clock.now()).toBe(3000);
    expect(pacer.waitedMs).toBe(3000);
  });
});
