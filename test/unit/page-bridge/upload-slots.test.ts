/**
 * Upload slots shared between peers: a lone peer takes them all; once they are all in use, a peer
 * under its share takes one back from the peer most above its share (that answer is revoked), and
 * a peer at its share waits like everyone else. Give-backs are idempotent, also after a revoke.
 */
import { describe, expect, it } from '@jest/globals';
import { FairUploadSlots } from '../../../page-bridge/upload-slots.js';

interface Taken {
  release: () => void;
  revoked: boolean;
}

/** Takes slots for `peer` until refused (at most `limit`). */
function fill(slots: FairUploadSlots, peer: string, limit = 1_000): Taken[] {
  const taken: Taken[] = [];
  while (taken.length < limit) {
    const t: Taken = { release: () => undefined, revoked: false };
    const release = slots.tryAcquire(peer, () => void (t.revoked = true));
    if (!release) break;
    t.release = release;
    taken.push(t);
  }
  return taken;
}

describe('FairUploadSlots', () => {
  it('a lone peer may take every slot, and no more', () => {
    const slots = new FairUploadSlots(16);
    expect(fill(slots, 'h').length).toBe(16);
    expect(slots.inUse).toBe(16);
    expect(fill(slots, 'h').length).toBe(0);
  });

  it('a second peer takes slots back from the first, newest first, up to its share; then both wait their turn', () => {
    const slots = new FairUploadSlots(16);
    const h = fill(slots, 'h');
    const b = fill(slots, 'b');
    expect(b.length).toBe(8);
    expect([slots.held('h'), slots.held('b'), slots.inUse]).toEqual([8, 8, 16]);
    // h's eight newest answers were revoked, its eight oldest keep going.
    expect(h.map((t) => t.revoked)).toEqual([...Array(8).fill(false), ...Array(8).fill(true)]);
    // A revoked slot's give-back changes nothing.
    for (const t of h.slice(8)) t.release();
    expect(slots.inUse).toBe(16);
    // At their shares, neither takes from the other; a freed slot goes to whoever asks first.
    expect(fill(slots, 'h').length + fill(slots, 'b').length).toBe(0);
    h[0]!.release();
    h[0]!.release();
    expect(slots.inUse).toBe(15);
    expect(fill(slots, 'b').length).toBe(1);
    expect(b.every((t) => !t.revoked)).toBe(true);
  });

  it('three peers: shares of ceil(16 / 3) = 6, taken from whoever holds the most above it', () => {
    const slots = new FairUploadSlots(16);
    fill(slots, 'a');
    expect(fill(slots, 'b').length).toBe(8);
    // Once a and b are down to 6 each nobody is above the share: c waits for a slot to free.
    expect(fill(slots, 'c').length).toBe(4);
    expect([slots.held('a'), slots.held('b'), slots.held('c'), slots.inUse]).toEqual([6, 6, 4, 16]);
  });

  it('a peer under its share takes nothing from peers at their share', () => {
    const slots = new FairUploadSlots(4);
    fill(slots, 'a', 2);
    fill(slots, 'b', 2);
    // Three asking: share 2 each; a and b hold exactly that.
    expect(fill(slots, 'c').length).toBe(0);
  });

  it('give-backs are idempotent; bad sizes are refused; forPeer binds a session to its peer', () => {
    const slots = new FairUploadSlots(2);
    const [one] = fill(slots, 'a', 1);
    one!.release();
    one!.release();
    expect(slots.inUse).toBe(0);
    expect(() => new FairUploadSlots(0)).toThrow(RangeError);
    const a = slots.forPeer('a');
    expect(a.tryAcquire(() => undefined)).toBeDefined();
    expect(slots.held('a')).toBe(1);
  });
});
