import { describe, expect, it } from '@jest/globals';
import { parseRange } from '../../../sw/byte-range.js';

describe('parseRange', () => {
  it('answers the whole file without a Range header', () => {
    expect(parseRange(null, 100)).toEqual({ kind: 'full' });
  });

  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=10-', { start: 10, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-1000', { start: 0, end: 99 }],
    ['bytes=50-5000', { start: 50, end: 99 }],
    ['bytes=99-99', { start: 99, end: 99 }],
    ['Bytes = 1 - 2', { start: 1, end: 2 }],
  ])('%s → one range', (header, bounds) => {
    expect(parseRange(header, 100)).toEqual({ kind: 'range', ...bounds });
  });

  it.each(['bytes=100-', 'bytes=100-200', 'bytes=-0', 'bytes=1000-'])('%s is unsatisfiable for 100 bytes', (header) => {
    expect(parseRange(header, 100).kind).toBe('unsatisfiable');
  });

  it('finds nothing to satisfy in an empty file', () => {
    expect(parseRange('bytes=0-', 0).kind).toBe('unsatisfiable');
    expect(parseRange('bytes=-5', 0).kind).toBe('unsatisfiable');
  });

  it.each([
    ['several ranges', 'bytes=0-1,5-6'],
    ['another unit', 'items=0-1'],
    ['no bounds', 'bytes=-'],
    ['reversed', 'bytes=9-3'],
    ['not numbers', 'bytes=a-b'],
    ['negative', 'bytes=--5'],
    ['no unit', '0-5'],
    ['a number past 2^53', 'bytes=0-99999999999999999999'],
    ['garbage', 'bytes=0-5; x'],
  ])('leaves %s to the origin', (_name, header) => {
    expect(parseRange(header, 100)).toEqual({ kind: 'unsupported' });
  });
});
