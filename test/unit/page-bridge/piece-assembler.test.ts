/**
 * The piece assembler: pieces in any order rebuild the chunk; every way a peer can lie about a
 * piece (another chunk length, past the end, overlapping, after completion, scattered into too
 * many ranges) is a violation, and only real bytes count.
 */
import { describe, expect, it } from '@jest/globals';
import { PieceAssembler, type PieceOutcome } from '../../../page-bridge/piece-assembler.js';

const chunk = Uint8Array.from({ length: 1000 }, (_, i) => (i * 13) & 0xff);
const part = (start: number, end: number): Uint8Array => chunk.subarray(start, end);

function bytesOf(outcome: PieceOutcome): Uint8Array {
  if (outcome.kind !== 'complete') throw new Error(`not complete: ${outcome.kind}`);
  return new Uint8Array(outcome.bytes);
}

describe('PieceAssembler', () => {
  it('rebuilds a chunk from in-order pieces and counts real bytes', () => {
    const a = new PieceAssembler(1000);
    expect(a.add(0, 1000, part(0, 400)).kind).toBe('more');
    expect(a.received).toBe(400);
    expect(a.add(400, 1000, part(400, 800)).kind).toBe('more');
    expect(Array.from(bytesOf(a.add(800, 1000, part(800, 1000))))).toEqual(Array.from(chunk));
    expect(a.received).toBe(1000);
  });

  it('rebuilds a chunk from pieces in any order, joining ranges on both sides', () => {
    const a = new PieceAssembler(1000);
    expect(a.add(600, 1000, part(600, 1000)).kind).toBe('more');
    expect(a.add(0, 1000, part(0, 200)).kind).toBe('more');
    expect(a.add(300, 1000, part(300, 600)).kind).toBe('more');
    expect(Array.from(bytesOf(a.add(200, 1000, part(200, 300))))).toEqual(Array.from(chunk));
  });

  it('a single piece can be the whole chunk', () => {
    expect(Array.from(bytesOf(new PieceAssembler(1000).add(0, 1000, chunk)))).toEqual(Array.from(chunk));
  });

  it('refuses a piece of a chunk of another length', () => {
    expect(new PieceAssembler(1000).add(0, 1001, part(0, 10)).kind).toBe('violation');
    expect(new PieceAssembler(1000).add(0, 999, part(0, 10)).kind).toBe('violation');
  });

  it('refuses a piece that reaches past the end or lies outside the chunk', () => {
    const a = new PieceAssembler(1000);
    expect(a.add(995, 1000, part(0, 6)).kind).toBe('violation');
    expect(new PieceAssembler(1000).add(-1, 1000, part(0, 1)).kind).toBe('violation');
    expect(new PieceAssembler(1000).add(0, 1000, new Uint8Array(0)).kind).toBe('violation');
  });

  it('refuses a piece that overlaps bytes already received, on either side or inside', () => {
    const make = (): PieceAssembler => {
      const a = new PieceAssembler(1000);
      a.add(300, 1000, part(300, 500));
      return a;
    };
    expect(make().add(299, 1000, part(299, 301)).kind).toBe('violation');
    expect(make().add(499, 1000, part(499, 501)).kind).toBe('violation');
    expect(make().add(350, 1000, part(350, 360)).kind).toBe('violation');
    expect(make().add(200, 1000, part(200, 600)).kind).toBe('violation');
    expect(make().add(300, 1000, part(300, 500)).kind).toBe('violation');
    // Touching is not overlapping.
    expect(make().add(500, 1000, part(500, 501)).kind).toBe('more');
    expect(make().add(299, 1000, part(299, 300)).kind).toBe('more');
  });

  it('refuses a duplicate piece, and any piece after completion', () => {
    const a = new PieceAssembler(1000);
    a.add(0, 1000, part(0, 500));
    expect(a.add(0, 1000, part(0, 500)).kind).toBe('violation');
    const b = new PieceAssembler(1000);
    b.add(0, 1000, chunk);
    expect(b.add(0, 1000, part(0, 1)).kind).toBe('violation');
  });

  it('refuses pieces scattered over more ranges than allowed', () => {
    const a = new PieceAssembler(1000, 4);
    for (const at of [0, 10, 20, 30]) expect(a.add(at, 1000, part(at, at + 1)).kind).toBe('more');
    expect(a.add(40, 1000, part(40, 41)).kind).toBe('violation');
    // Filling a gap joins two ranges, so it never counts as a new one.
    const b = new PieceAssembler(1000, 2);
    b.add(0, 1000, part(0, 1));
    b.add(10, 1000, part(10, 11));
    expect(b.add(1, 1000, part(1, 10)).kind).toBe('more');
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new PieceAssembler(0)).toThrow(RangeError);
    expect(() => new PieceAssembler(1.5)).toThrow(RangeError);
  });
});
