/**
 * Upload slots shared between peers: a lone peer takes them all; once another asks, each holds at
 * most its share and the slots the first gives back go to the other; a refused peer stops counting
 * as asking after WAITING_MS.
 */
import { describe, expect, it } from '@jest/globals';
import { FairUploadSlots, WAITING_MS } from '../../../page-bridge/upload-slots.js';

function clock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Takes slots for `peer` until refused (at most `limit`); returns how many it got. */
function fill(slots: FairUploadSlots, peer: string, limit = 1_000): number {
  let got = 0;
  while (got < limit && slots.tryAcquire(peer)) got += 1;
  return got;
}

describe('FairUploadSlots', () => {
  it('a lone peer may take every slot, and no more', () => {
    const slots = new FairUploadSlots(16, clock().now);
    expect(fill(slots, 'h')).toBe(16);
    expect(slots.inUse).toBe(16);
  });

  it('once a second peer asks, the first is held to its share and the slots it frees go to the second', () => {
    const slots = new FairUploadSlots(16, clock().now);
    expect(fill(slots, 'h')).toBe(16);
    expect(slots.tryAcquire('b')).toBe(false);
    // h finishes an answer and asks again: over its share of 8, refused, and the slot stays for b.
    slots.release('h');
    expect(slots.tryAcquire('h')).toBe(false);
    expect(slots.tryAcquire('b')).toBe(true);
    for (let i = 0; i < 7; i++) slots.release('h');
    expect(fill(slots, 'h')).toBe(0);
    expect(fill(slots, 'b')).toBe(7);
    expect([slots.held('h'), slots.held('b')]).toEqual([8, 8]);
    // At its share, b waits for h like everyone else.
    slots.release('h');
    expect(slots.tryAcquire('b')).toBe(false);
    expect(slots.tryAcquire('h')).toBe(true);
  });

  it('three peers asking: a share each, rounded up so no slot sits idle', () => {
    const slots = new FairUploadSlots(16, clock().now);
    slots.tryAcquire('a');
    slots.tryAcquire('b');
    expect(fill(slots, 'c')).toBe(6);
    expect(fill(slots, 'a')).toBe(5);
    expect(fill(slots, 'b')).toBe(3);
    expect([slots.held('a'), slots.held('b'), slots.held('c'), slots.inUse]).toEqual([6, 4, 6, 16]);
  });

  it(`a refused peer stops counting as asking after ${WAITING_MS} ms; one holding a slot counts as long as it holds it`, () => {
    const time = clock();
    const slots = new FairUploadSlots(4, time.now);
    expect(fill(slots, 'h')).toBe(4);
    expect(slots.tryAcquire('b')).toBe(false);
    slots.release('h');
    expect(slots.tryAcquire('h')).toBe(false);
    time.advance(WAITING_MS);
    // b never came back: h may have the freed slot.
    expect(slots.tryAcquire('h')).toBe(true);
    // b holding one slot keeps h to 2 of 4 for as long as it holds it.
    for (let i = 0; i < 3; i++) slots.release('h');
    expect(slots.tryAcquire('b')).toBe(true);
    time.advance(10 * WAITING_MS);
    expect(fill(slots, 'h')).toBe(1);
    expect(slots.held('h')).toBe(2);
    slots.release('b');
    expect(fill(slots, 'h')).toBe(2);
  });

  it('release of a slot not held changes nothing; bad sizes are refused', () => {
    const slots = new FairUploadSlots(2, clock().now);
    slots.release('nobody');
    expect(slots.inUse).toBe(0);
    expect(fill(slots, 'a')).toBe(2);
    expect(() => new FairUploadSlots(0)).toThrow(RangeError);
  });

  it('forPeer gives a session the UploadSlots of its peer', () => {
    const slots = new FairUploadSlots(2, clock().now);
    const a = slots.forPeer('a');
    expect(a.tryAcquire() && a.tryAcquire()).toBe(true);
    expect(a.tryAcquire()).toBe(false);
    a.release();
    expect(slots.held('a')).toBe(1);
  });
});
