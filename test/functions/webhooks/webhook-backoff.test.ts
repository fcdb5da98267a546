/** The retry schedule of webhook deliveries: growing gaps with jitter, for 24 hours (docs/webhooks.md). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE_GAP_MS, MAX_GAP_MS, RETRY_WINDOW_MS, gapCeilingMs, nextAttemptAtMs, retryGapMs } from '../../../functions/webhooks/webhook-backoff.js';

/** The times of every attempt of a delivery that never succeeds, for a sequence of draws. */
function schedule(draws: () => number): number[] {
  const created = 1_000_000;
  const times = [created];
  for (let attempt = 1; ; attempt++) {
    const next = nextAttemptAtMs(created, attempt, times[times.length - 1]!, draws());
    if (next === undefined) return times;
    times.push(next);
  }
}

describe('retry backoff', () => {
  it('doubles the ceiling from 10 s up to one hour', () => {
    expect([1, 2, 3, 4].map(gapCeilingMs)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(gapCeilingMs(100)).toBe(MAX_GAP_MS);
    expect(gapCeilingMs(1_000_000)).toBe(MAX_GAP_MS);
    expect(() => gapCeilingMs(0)).toThrow(RangeError);
  });

  it('draws each gap from the upper half of its ceiling (jitter), so gaps never shrink until the one-hour cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (attempt, r1, r2) => {
        const gap = retryGapMs(attempt, r1);
        expect(gap).toBeGreaterThanOrEqual(gapCeilingMs(attempt) / 2);
        expect(gap).toBeLessThanOrEqual(gapCeilingMs(attempt));
        if (gapCeilingMs(attempt + 1) === 2 * gapCeilingMs(attempt)) expect(retryGapMs(attempt + 1, r2)).toBeGreaterThanOrEqual(gap);
        else expect(gapCeilingMs(attempt + 1)).toBe(MAX_GAP_MS);
      }),
    );
    // Two draws differ: deliveries failing together do not retry together.
    expect(retryGapMs(3, 0.1)).not.toBe(retryGapMs(3, 0.9));
  });

  it('stops after 24 hours, whatever the draws, with growing gaps until then', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 64, maxLength: 64 }), (draws) => {
        let i = 0;
        const times = schedule(() => draws[i++ % draws.length]!);
        const gaps = times.slice(1).map((t, k) => t - times[k]!);
        expect(times[times.length - 1]! - times[0]!).toBeLessThanOrEqual(RETRY_WINDOW_MS);
        // The next gap would have passed the window: no attempt is left unused by more than one hour.
        expect(times[times.length - 1]! - times[0]!).toBeGreaterThan(RETRY_WINDOW_MS - MAX_GAP_MS);
        // Growing until the cap (the first 9 gaps: 10 s * 2^8 < 1 h < 10 s * 2^9), then between 30 and 60 minutes.
        for (let k = 1; k < 9; k++) expect(gaps[k]).toBeGreaterThanOrEqual(gaps[k - 1]!);
        for (const gap of gaps.slice(9)) expect(gap).toBeGreaterThanOrEqual(MAX_GAP_MS / 2);
        expect(gaps[0]).toBeGreaterThanOrEqual(BASE_GAP_MS / 2);
        // 30 to 60 attempts over the day: not a flood, not a trickle.
        expect(times.length).toBeGreaterThan(30);
        expect(times.length).toBeLessThanOrEqual(60);
      }),
      { numRuns: 50 },
    );
  });
});
