/**
 * The retry backoff (page-bridge/backoff.ts): exponential and capped, with full jitter — a draw
 * anywhere from the floor to the attempt's ceiling, so many clients that failed together spread
 * over the whole window (the old "half to all" jitter left its lower half empty).
 */
import { describe, expect, it } from '@jest/globals';
import { RECONNECT_BACKOFF, backoffCeiling, backoffDelay } from '../../../page-bridge/backoff.js';
import { seededRandom } from '../../../scripts/lib/seeded-random.mjs';

describe('backoffCeiling', () => {
  it('doubles from the base and stops at the cap, whatever the attempt number', () => {
    expect([0, 1, 2, 3, 5, 6, 10].map((n) => backoffCeiling(n))).toEqual([500, 1_000, 2_000, 4_000, 16_000, 30_000, 30_000]);
    expect(backoffCeiling(1e9)).toBe(30_000);
    expect(backoffCeiling(Infinity)).toBe(30_000);
    expect(backoffCeiling(-3)).toBe(500);
    expect(backoffCeiling(Number.NaN)).toBe(500);
  });

  it('is never under the floor, even with a base below it', () => {
    expect(backoffCeiling(0, { minMs: 100, baseMs: 10, maxMs: 1_000 })).toBe(100);
  });
});

describe('backoffDelay: full jitter', () => {
  it('spans the floor to the ceiling: a draw of 0 waits the floor, never 0 ms; a draw of 1 the ceiling', () => {
    expect(backoffDelay(0, RECONNECT_BACKOFF, () => 0)).toBe(RECONNECT_BACKOFF.minMs);
    expect(backoffDelay(0, RECONNECT_BACKOFF, () => 1)).toBe(500);
    expect(backoffDelay(0, RECONNECT_BACKOFF, () => 0.5)).toBe(300);
    expect(backoffDelay(3, RECONNECT_BACKOFF, () => 1)).toBe(4_000);
    expect(backoffDelay(3, RECONNECT_BACKOFF, () => 0)).toBe(100);
    expect(backoffDelay(40, RECONNECT_BACKOFF, () => 1)).toBe(30_000);
    // A broken random source cannot leave the window.
    expect(backoffDelay(2, RECONNECT_BACKOFF, () => 7)).toBe(2_000);
    expect(backoffDelay(2, RECONNECT_BACKOFF, () => -1)).toBe(100);
  });

  it('draws across the whole window: the lower half gets its share, which "half to all" never did', () => {
    const random = seededRandom(0xbacc0ff);
    for (const attempt of [0, 2, 6]) {
      const ceiling = backoffCeiling(attempt);
      const delays = Array.from({ length: 2_000 }, () => backoffDelay(attempt, RECONNECT_BACKOFF, random));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(RECONNECT_BACKOFF.minMs);
      expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
      const lowerHalf = delays.filter((d) => d < ceiling / 2).length / delays.length;
      // Uniform on [floor, ceiling]: (ceiling/2 - floor) / (ceiling - floor) of the draws, 0.375 to 0.498 here.
      const expected = (ceiling / 2 - RECONNECT_BACKOFF.minMs) / (ceiling - RECONNECT_BACKOFF.minMs);
      expect(Math.abs(lowerHalf - expected)).toBeLessThan(0.05);
    }
  });
});
