/** The swarm's delivery to the SW: recent arrivals and their pace, as the first-byte hedge reads them. */
import { describe, expect, it } from '@jest/globals';
import { PULSE_WINDOW_MS, SwarmPulse } from '../../../sw/swarm-pulse.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 10_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('SwarmPulse', () => {
  it('knows no pace and delivers nothing before any arrival', () => {
    const c = clock();
    const pulse = new SwarmPulse(c.now);
    expect(pulse.bytesPerMs()).toBeUndefined();
    expect(pulse.recentPace(100)).toBeUndefined();
  });

  it('measures the pace of the arrivals after the first, up to now', () => {
    const c = clock();
    const pulse = new SwarmPulse(c.now);
    pulse.note(1_000);
    c.advance(10);
    pulse.note(2_000);
    c.advance(10);
    pulse.note(2_000);
    // 4,000 bytes after the first arrival, over the 20 ms since it.
    expect(pulse.bytesPerMs()).toBe(200);
  });

  it('has a recent pace only while an arrival is recent', () => {
    const c = clock();
    const pulse = new SwarmPulse(c.now);
    for (let i = 0; i < 5; i++) {
      pulse.note(1_000);
      c.advance(10);
    }
    // 4,000 bytes over the 50 ms since the first arrival: 80 bytes/ms.
    expect(pulse.recentPace(100)).toBe(80);
    // The last arrival 10 ms ago: not within 5 ms.
    expect(pulse.recentPace(5)).toBeUndefined();
  });

  it('forgets arrivals older than its window', () => {
    const c = clock();
    const pulse = new SwarmPulse(c.now);
    pulse.note(1_000);
    pulse.note(1_000);
    c.advance(PULSE_WINDOW_MS + 1);
    expect(pulse.bytesPerMs()).toBeUndefined();
    expect(pulse.recentPace(Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });
});
