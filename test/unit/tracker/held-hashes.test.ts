import { describe, expect, it } from '@jest/globals';
import { MemoryTrackerStore } from '../../../server/store/memory-tracker-store.js';
import type { PeerRecord } from '../../../server/store/store.js';

const SITE = 'https://a.example';
const OTHER = 'https://b.example';
const h = (n: number): string => `sha256-${n.toString(36).padStart(43, 'A')}=`;
const peer = (peerId: string, site = SITE): PeerRecord => ({ peerId, site, networkKey: 'v4:192.0.2', regionHint: undefined, uploadScore: 0 });
const sorted = (it: Iterable<string>): string[] => [...it].sort();

describe('MemoryTrackerStore: what a site and a peer hold', () => {
  it('lists the distinct hashes held in a site, and their number, as peers have, lose and leave', () => {
    const store = new MemoryTrackerStore();
    expect([...store.heldHashes(SITE)]).toEqual([]);
    expect(store.heldHashCount(SITE)).toBe(0);
    store.addPeer(peer('a'));
    store.addPeer(peer('b'));
    store.addPeer(peer('c', OTHER));
    store.have(SITE, 'a', [h(1), h(2)]);
    store.have(SITE, 'b', [h(2), h(3)]);
    store.have(OTHER, 'c', [h(9)]);
    expect(sorted(store.heldHashes(SITE))).toEqual(sorted([h(1), h(2), h(3)]));
    expect(store.heldHashCount(SITE)).toBe(3);
    expect(sorted(store.heldHashes(OTHER))).toEqual([h(9)]);

    store.lost(SITE, 'b', [h(3)]);
    expect(sorted(store.heldHashes(SITE))).toEqual(sorted([h(1), h(2)]));
    store.removePeer(SITE, 'a');
    expect(sorted(store.heldHashes(SITE))).toEqual([h(2)]);
    expect(store.heldHashCount(SITE)).toBe(1);
    store.removePeer(SITE, 'b');
    expect(store.heldHashCount(SITE)).toBe(0);
    expect([...store.heldHashes(SITE)]).toEqual([]);
  });

  it('lists what one peer announced, and nothing for an unknown peer or site', () => {
    const store = new MemoryTrackerStore();
    store.addPeer(peer('a'));
    store.have(SITE, 'a', [h(1), h(2), h(1)]);
    store.lost(SITE, 'a', [h(2)]);
    expect([...store.peerHashes(SITE, 'a')]).toEqual([h(1)]);
    expect([...store.peerHashes(SITE, 'nobody')]).toEqual([]);
    expect([...store.peerHashes(OTHER, 'a')]).toEqual([]);
    // Re-adding a peer starts it from nothing.
    store.addPeer(peer('a'));
    expect([...store.peerHashes(SITE, 'a')]).toEqual([]);
  });
});
