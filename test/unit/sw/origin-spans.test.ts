/** The origin's spans of one response, and where a hedge leaves the peers the back of what they have in flight. */
import { describe, expect, it } from '@jest/globals';
import { OriginSpans, peersKeepFrom } from '../../../sw/origin-spans.js';

describe('OriginSpans', () => {
  it('claims up to the next span\'s start, and gives a released span back', () => {
    const spans = new OriginSpans(9);
    expect(spans.claim(5, 5)).toEqual({ from: 5, to: 9 });
    expect(spans.claim(2, 3)).toEqual({ from: 2, to: 4 });
    expect([1, 2, 4, 5, 9].map((i) => spans.has(i))).toEqual([false, true, true, true, true]);
    spans.release(5);
    expect([4, 5, 9].map((i) => spans.has(i))).toEqual([true, false, false]);
  });
});

describe('peersKeepFrom', () => {
  const inFlight = (...indices: number[]) => (i: number): boolean => indices.includes(i);

  it('leaves the peers the back half (rounded up) of the asks in flight at the span\'s end, never its first chunk', () => {
    // A three-chunk image, every chunk asked: the origin reads chunk 0, the peers keep 1 and 2.
    expect(peersKeepFrom({ from: 0, to: 2 }, inFlight(0, 1, 2))).toBe(1);
    expect(peersKeepFrom({ from: 0, to: 3 }, inFlight(0, 1, 2, 3))).toBe(2);
    expect(peersKeepFrom({ from: 4, to: 8 }, inFlight(4, 5, 6, 7, 8))).toBe(6);
    // Two chunks: one each.
    expect(peersKeepFrom({ from: 0, to: 1 }, inFlight(0, 1))).toBe(1);
    // The front not asked (read from the cache, say): half of the asked tail.
    expect(peersKeepFrom({ from: 0, to: 3 }, inFlight(2, 3))).toBe(3);
  });

  it('keeps nothing when the span\'s end has no ask in flight, or the span is one chunk', () => {
    // A large file: the window covers its front only.
    expect(peersKeepFrom({ from: 0, to: 14 }, inFlight(0, 1, 2, 3, 4, 5, 6, 7))).toBe(15);
    expect(peersKeepFrom({ from: 0, to: 3 }, inFlight(0, 1, 2))).toBe(4);
    expect(peersKeepFrom({ from: 3, to: 3 }, inFlight(3))).toBe(4);
    expect(peersKeepFrom({ from: 0, to: 2 }, inFlight())).toBe(3);
  });
});
