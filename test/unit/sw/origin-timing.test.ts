/** The hedge budget follows the origin's measured latency, within its floor and the stall cap. */
import { describe, expect, it } from '@jest/globals';
import { HEDGE_MIN_MS, HEDGE_STAKE_SHARE, OriginTiming, PRIOR_BYTES_PER_MS, timedFetch } from '../../../sw/origin-timing.js';

describe('OriginTiming', () => {
  it('floors the budget on a fast origin and caps it at stallMs', () => {
    const timing = new OriginTiming();
    for (let i = 0; i < 5; i++) timing.recordTtfb(2);
    expect(timing.hedgeBudgetMs(2_000)).toBe(HEDGE_MIN_MS);
    for (let i = 0; i < 16; i++) timing.recordTtfb(5_000);
    expect(timing.hedgeBudgetMs(2_000)).toBe(2_000);
  });

  it('is twice the median time to headers plus 20 ms for a distant origin, robust to one outlier', () => {
    const timing = new OriginTiming();
    for (const ms of [60, 62, 58, 61, 3_000]) timing.recordTtfb(ms);
    expect(timing.ttfbMs()).toBe(61);
    expect(timing.hedgeBudgetMs(2_000)).toBe(142);
  });

  it('grows with the bytes at stake: half the time the origin would take for them, at its measured pace or else the prior', () => {
    const timing = new OriginTiming();
    for (const ms of [60, 60, 60]) timing.recordTtfb(ms);
    // A stylesheet's worth: the latency budget stands.
    expect(timing.hedgeBudgetMs(2_000, 50_000)).toBe(140);
    // 11.8 MB before any body was measured: half of 60 ms + 11.8 MB at the prior pace.
    expect(timing.hedgeBudgetMs(5_000, 11_800_000)).toBe(HEDGE_STAKE_SHARE * (60 + 11_800_000 / PRIOR_BYTES_PER_MS));
    // The same once the origin measured at 100 MB/s: the latency budget again.
    for (let i = 0; i < 3; i++) timing.recordBody(10_000_000, 100);
    expect(timing.hedgeBudgetMs(5_000, 11_800_000)).toBe(140);
    // Never past the stall cap.
    expect(timing.hedgeBudgetMs(2_000, 1e12)).toBe(2_000);
  });

  it('counts what the origin owes on handed-over spans into its time: paid down as bytes arrive, settled once, never below zero', () => {
    const timing = new OriginTiming();
    for (const ms of [60, 60, 60]) timing.recordTtfb(ms);
    for (let i = 0; i < 3; i++) timing.recordBody(5_000_000, 1_000); // 5 MB/s
    expect(timing.originMs(700_000)).toBe(60 + 140);
    const a = timing.owe(1_000_000);
    const b = timing.owe(500_000);
    expect(timing.owed()).toBe(1_500_000);
    // A file handed over now waits behind the 1.5 MB already owed on the same downlink.
    expect(timing.originMs(700_000)).toBe(60 + 440);
    a.received(400_000);
    a.received(-5); // nonsense is ignored
    expect(timing.owed()).toBe(1_100_000);
    // An origin that sent more than the span (a 200 read from the start) pays off this span only.
    b.received(2_000_000);
    expect(timing.owed()).toBe(600_000);
    a.settle();
    a.settle();
    b.settle();
    expect(timing.owed()).toBe(0);
    // The budget counts the debt too: half the origin's time for the stake after what it owes.
    const c = timing.owe(10_000_000);
    expect(timing.hedgeBudgetMs(60_000, 5_000_000)).toBe(HEDGE_STAKE_SHARE * (60 + 15_000_000 / 5_000));
    c.settle();
    expect(timing.hedgeBudgetMs(60_000, 5_000_000)).toBe(HEDGE_STAKE_SHARE * (60 + 5_000_000 / 5_000));
  });

  it('keeps only the last 16 samples', () => {
    const timing = new OriginTiming();
    for (let i = 0; i < 16; i++) timing.recordTtfb(1_000);
    for (let i = 0; i < 16; i++) timing.recordTtfb(50);
    expect(timing.ttfbMs()).toBe(50);
  });

  it('measures pace from large bodies only; bad samples are ignored', () => {
    const timing = new OriginTiming();
    timing.recordTtfb(-1);
    timing.recordTtfb(Number.NaN);
    timing.recordTtfb(10);
    expect(timing.ttfbMs()).toBe(10);
    timing.recordBody(1_000, 1); // too small to say anything about throughput
    expect(timing.bytesPerMs()).toBeUndefined();
    timing.recordBody(5_000_000, 1_000);
    expect(timing.bytesPerMs()).toBe(5_000);
  });

  it('timedFetch records the time to headers', async () => {
    const timing = new OriginTiming();
    const response = await timedFetch(timing, () => new Promise((resolve) => setTimeout(() => resolve(new Response('x')), 30)));
    expect(response.status).toBe(200);
    expect(timing.ttfbMs()).toBeGreaterThanOrEqual(25);
    expect(timing.ttfbMs()).toBeLessThan(1_000);
  });
});
