/** The send pacing decision and the rate limiter under it (the reconnect backoff: backoff.test.ts). */
import { describe, expect, it } from '@jest/globals';
import { RateLimiter } from '../../../page-bridge/rate-limiter.js';
import { DrainMeter, SEND_BUFFER_MS, SEND_HIGH_WATER_BYTES, SEND_MAX_HIGH_WATER_BYTES, UploadBudget } from '../../../page-bridge/upload-pacing.js';

const PIECE = 131_072;

describe('UploadBudget.decide', () => {
  it('without a budget: sends while the buffer is at or under the high-water mark, else drains', () => {
    const budget = new UploadBudget(undefined, 0);
    expect(budget.decide(0, PIECE, 0)).toEqual({ kind: 'send' });
    expect(budget.decide(SEND_HIGH_WATER_BYTES, PIECE, 0)).toEqual({ kind: 'send' });
    expect(budget.decide(SEND_HIGH_WATER_BYTES + 1, PIECE, 0)).toEqual({ kind: 'drain' });
    for (let i = 0; i < 1000; i++) expect(budget.decide(0, PIECE, 0).kind).toBe('send');
  });

  it('with a budget: a piece over it is sent, then the next waits until the debt is paid', () => {
    const budget = new UploadBudget(65_536, 0);
    expect(budget.decide(0, PIECE, 0)).toEqual({ kind: 'send' });
    const next = budget.decide(0, PIECE, 0);
    // 16 KiB burst − 128 KiB = 112 KiB of debt at 64 KiB/s: 1.75 s.
    expect(next).toEqual({ kind: 'wait', ms: 1_750 });
    expect(budget.decide(0, PIECE, 1_749).kind).toBe('wait');
    expect(budget.decide(0, PIECE, 1_751)).toEqual({ kind: 'send' });
  });

  it('holds a rate over time: 64 KiB/s for 10 s sends about 640 KiB', () => {
    const budget = new UploadBudget(65_536, 0);
    let sent = 0;
    for (let now = 0; now <= 10_000; now += 10) {
      if (budget.decide(0, 8_192, now).kind === 'send') sent += 8_192;
    }
    expect(sent).toBeGreaterThanOrEqual(640 * 1024);
    expect(sent).toBeLessThanOrEqual(640 * 1024 + 16 * 1024 + 8_192);
  });

  it('a full buffer drains before the budget is even looked at (no budget spent on a piece that does not go)', () => {
    const budget = new UploadBudget(65_536, 0);
    expect(budget.decide(SEND_HIGH_WATER_BYTES + 1, PIECE, 0)).toEqual({ kind: 'drain' });
    expect(budget.decide(0, PIECE, 0)).toEqual({ kind: 'send' });
  });
});

/** Feeds a meter a channel that drains `rate` bytes per ms while the sender keeps `queued` bytes on it, for `ms`. */
function drive(meter: DrainMeter, rate: number, queued: number, ms: number, from = 0): number {
  let sent = queued;
  for (let now = from; now <= from + ms; now += 10) {
    meter.sample(sent, queued, now);
    sent += rate * 10;
  }
  return from + ms;
}

describe('DrainMeter', () => {
  it('keeps the floor until it has measured anything', () => {
    expect(new DrainMeter().highWater()).toBe(SEND_HIGH_WATER_BYTES);
  });

  it('keeps SEND_BUFFER_MS of a backlogged channel queued, between the floor and the cap', () => {
    const mid = new DrainMeter();
    drive(mid, 10_000, 300_000, 1_000);
    expect(mid.bytesPerMs).toBeCloseTo(10_000, -1);
    expect(mid.highWater()).toBe(10_000 * SEND_BUFFER_MS);
    const slow = new DrainMeter();
    drive(slow, 2_500, 300_000, 1_000);
    expect(slow.highWater()).toBe(SEND_HIGH_WATER_BYTES);
    const fast = new DrainMeter();
    drive(fast, 40_000, 300_000, 1_000);
    expect(fast.highWater()).toBe(SEND_MAX_HIGH_WATER_BYTES);
  });

  it('follows a channel that slows down while backlogged, and ignores an idle gap', () => {
    const meter = new DrainMeter();
    const at = drive(meter, 30_000, 300_000, 1_000);
    expect(meter.highWater()).toBe(SEND_MAX_HIGH_WATER_BYTES);
    drive(meter, 5_000, 300_000, 1_000, at + 5_000);
    expect(meter.bytesPerMs).toBeLessThan(6_000);
    expect(meter.highWater()).toBe(SEND_HIGH_WATER_BYTES);
  });

  it('reads a channel that ran empty as at least as fast as it drained, never slower than measured', () => {
    const meter = new DrainMeter();
    drive(meter, 20_000, 300_000, 500);
    // The sender had little to send: the buffer empty at every look, 1 byte per ms drained.
    let sent = 0;
    for (let now = 600; now <= 1_600; now += 10) {
      meter.sample(sent, 0, now);
      sent += 10;
    }
    expect(meter.bytesPerMs).toBeGreaterThanOrEqual(19_000);
  });
});

describe('RateLimiter', () => {
  it('starts full, refills at the rate, never above the burst, and a backwards clock mints nothing', () => {
    const limiter = new RateLimiter(10, 2, 0);
    limiter.take(1, 0);
    limiter.take(1, 0);
    // Empty but not in debt: one more may go (the debt it leaves is what paces the next).
    expect(limiter.delayMs(0)).toBe(0);
    limiter.take(1, 0);
    expect(limiter.delayMs(0)).toBe(100);
    expect(limiter.delayMs(-5_000)).toBe(100);
    expect(limiter.delayMs(99)).toBe(1);
    expect(limiter.delayMs(100)).toBe(0);
    // A long pause refills to the burst only.
    for (let i = 0; i < 3; i++) limiter.take(1, 100_000);
    expect(limiter.delayMs(100_000)).toBe(100);
  });

  it('refuses a rate or burst that is not positive', () => {
    expect(() => new RateLimiter(0, 1, 0)).toThrow(RangeError);
    expect(() => new RateLimiter(1, 0, 0)).toThrow(RangeError);
  });
});
