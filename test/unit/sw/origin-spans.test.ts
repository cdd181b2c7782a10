/** The origin's spans of one response: each up to the next one's start, none downloading a chunk twice. */
import { describe, expect, it } from '@jest/globals';
import { OriginSpans } from '../../../sw/origin-spans.js';

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
