import { describe, expect, it } from '@jest/globals';
import { chunkBounds, chunkLength, chunkSpan, originRangeHeader, sliceInChunk } from '../../../sw/chunk-span.js';

const CS = 1000;

describe('chunk span math', () => {
  it('finds the chunks a byte range touches', () => {
    expect(chunkSpan(0, 0, CS)).toEqual({ first: 0, last: 0 });
    expect(chunkSpan(0, 999, CS)).toEqual({ first: 0, last: 0 });
    expect(chunkSpan(999, 1000, CS)).toEqual({ first: 0, last: 1 });
    expect(chunkSpan(1500, 4200, CS)).toEqual({ first: 1, last: 4 });
  });

  it('bounds chunks, the last one shorter', () => {
    expect(chunkBounds(0, 2500, CS)).toEqual({ start: 0, end: 1000 });
    expect(chunkBounds(2, 2500, CS)).toEqual({ start: 2000, end: 2500 });
    expect(chunkLength(2, 2500, CS)).toBe(500);
    expect(chunkLength(1, 2000, CS)).toBe(1000);
    expect(chunkLength(3, 2500, CS)).toBe(0);
  });

  it('slices the part of each chunk a range uses', () => {
    // bytes 1500..3200 of a 4000-byte file
    expect(sliceInChunk(1, CS, 1500, 3200)).toEqual({ from: 500, to: 1000 });
    expect(sliceInChunk(2, CS, 1500, 3200)).toEqual({ from: 0, to: 1000 });
    expect(sliceInChunk(3, CS, 1500, 3200)).toEqual({ from: 0, to: 201 });
    // a range inside one chunk
    expect(sliceInChunk(0, CS, 10, 19)).toEqual({ from: 10, to: 20 });
    // the whole of a short last chunk
    expect(sliceInChunk(2, CS, 0, 2499)).toEqual({ from: 0, to: 500 });
  });

  it('sums the slices to exactly the range length', () => {
    const size = 10_500;
    for (const [start, end] of [[0, size - 1], [1, 1], [999, 1000], [3333, 9876], [10_000, 10_499]] as const) {
      const { first, last } = chunkSpan(start, end, CS);
      let total = 0;
      for (let i = first; i <= last; i++) {
        const { from, to } = sliceInChunk(i, CS, start, end);
        total += Math.min(to, chunkLength(i, size, CS)) - from;
      }
      expect(total).toBe(end - start + 1);
    }
  });

  it('asks the origin for whole chunks, the end clamped to the file', () => {
    expect(originRangeHeader(0, 0, 2500, CS)).toBe('bytes=0-999');
    expect(originRangeHeader(1, 2, 2500, CS)).toBe('bytes=1000-2499');
    expect(originRangeHeader(2, 2, 2001, CS)).toBe('bytes=2000-2000');
  });
});
