import { describe, expect, it } from '@jest/globals';
import { MemoryTrackerStore } from '../../../server/store/memory-tracker-store.js';
import type { PeerRecord } from '../../../server/store/store.js';

const SITE = 'https://a.example';
const OTHER = 'https://b.example';

function peer(peerId: string, site = SITE): PeerRecord {
  return { peerId, site, networkKey: 'v4:192.0.2', regionHint: undefined, uploadScore: 0 };
}

/** A distinct, well-formed sha256 SRI value per number. */
function h(n: number): string {
  return `sha256-${n.toString(36).padStart(43, 'A')}=`;
}

const ids = (it: Iterable<PeerRecord>): string[] => [...it].map((p) => p.peerId).sort();

describe('MemoryTrackerStore', () => {
  it('indexes have and lost both ways, and counts holders', () => {
    const store = new MemoryTrackerStore();
    store.addPeer(peer('a'));
    store.addPeer(peer('b'));
    expect(store.have(SITE, 'a', [h(1), h(2), h(2)])).toBe(2);
    expect(store.have(SITE, 'b', [h(2)])).toBe(1);
    expect(ids(store.holders(SITE, h(2)))).toEqual(['a', 'b']);
    expect(store.holderCount(SITE, h(2))).toBe(2);
    expect(store.counts()).toEqual({ peers: 2, swarms: 1, contentEntries: 2 });

    store.lost(SITE, 'a', [h(2), h(99)]);
    expect(ids(store.holders(SITE, h(2)))).toEqual(['b']);
    expect(store.have(SITE, 'a', [])).toBe(1);
    store.lost(SITE, 'b', [h(2)]);
    expect(store.holderCount(SITE, h(2))).toBe(0);
    expect([...store.holders(SITE, h(2))]).toEqual([]);
    expect(store.counts().contentEntries).toBe(1);
  });

  it('keeps sites apart', () => {
    const store = new MemoryTrackerStore();
    store.addPeer(peer('a', SITE));
    store.addPeer(peer('a', OTHER));
    store.have(SITE, 'a', [h(1)]);
    expect(store.holderCount(OTHER, h(1))).toBe(0);
    expect(store.counts()).toEqual({ peers: 2, swarms: 2, contentEntries: 1 });
    store.removePeer(OTHER, 'a');
    expect(store.getPeer(SITE, 'a')).toBeDefined();
    expect(store.counts()).toEqual({ peers: 1, swarms: 1, contentEntries: 1 });
  });

  it('removes a peer with everything it announced, and ignores peers it does not know', () => {
    const store = new MemoryTrackerStore();
    store.addPeer(peer('a'));
    store.addPeer(peer('b'));
    store.have(SITE, 'a', [h(1), h(2), h(3)]);
    store.have(SITE, 'b', [h(3)]);
    store.removePeer(SITE, 'a');
    expect(store.getPeer(SITE, 'a')).toBeUndefined();
    expect(store.holderCount(SITE, h(1))).toBe(0);
    expect(ids(store.holders(SITE, h(3)))).toEqual(['b']);
    expect(store.counts()).toEqual({ peers: 1, swarms: 1, contentEntries: 1 });
    store.removePeer(SITE, 'b');
    expect(store.counts()).toEqual({ peers: 0, swarms: 0, contentEntries: 0 });

    expect(store.have(SITE, 'ghost', [h(1)])).toBe(0);
    store.lost(SITE, 'ghost', [h(1)]);
    store.removePeer(SITE, 'ghost');
    store.setUploadScore(SITE, 'ghost', 5);
    expect(store.counts()).toEqual({ peers: 0, swarms: 0, contentEntries: 0 });
  });

  it('re-adding a peer id starts it over, holding nothing', () => {
    const store = new MemoryTrackerStore();
    store.addPeer(peer('a'));
    store.have(SITE, 'a', [h(1)]);
    store.addPeer(peer('a'));
    expect(store.holderCount(SITE, h(1))).toBe(0);
    expect(store.counts().peers).toBe(1);
  });

  it('keeps its own copy of a record; scores change only through setUploadScore', () => {
    const store = new MemoryTrackerStore();
    const record = peer('a');
    store.addPeer(record);
    store.have(SITE, 'a', [h(1)]);
    record.uploadScore = 42;
    expect([...store.holders(SITE, h(1))][0]?.uploadScore).toBe(0);
    store.setUploadScore(SITE, 'a', 7);
    expect([...store.holders(SITE, h(1))][0]?.uploadScore).toBe(7);
  });

  it('handles thousands of hashes per peer and thousands of peers', () => {
    const store = new MemoryTrackerStore();
    const hashes = Array.from({ length: 5000 }, (_, i) => h(i));
    for (let p = 0; p < 50; p++) {
      store.addPeer(peer(`p${p}`));
      expect(store.have(SITE, `p${p}`, hashes)).toBe(5000);
    }
    expect(store.holderCount(SITE, h(4999))).toBe(50);
    expect(store.counts()).toEqual({ peers: 50, swarms: 1, contentEntries: 5000 });
    store.lost(SITE, 'p0', hashes.slice(0, 2500));
    expect(store.have(SITE, 'p0', [])).toBe(2500);
    for (let p = 0; p < 50; p++) store.removePeer(SITE, `p${p}`);
    expect(store.counts()).toEqual({ peers: 0, swarms: 0, contentEntries: 0 });
  });

  it('counts distinct reporters, and quarantine is global and clears the reports', () => {
    const store = new MemoryTrackerStore();
    expect(store.report('bad', 'r1')).toBe(1);
    expect(store.report('bad', 'r1')).toBe(1);
    expect(store.report('bad', 'r2')).toBe(2);
    expect(store.report('other', 'r1')).toBe(1);
    expect(store.isQuarantined('bad')).toBe(false);
    store.quarantine('bad');
    store.quarantine('bad');
    expect(store.isQuarantined('bad')).toBe(true);
    // The quarantine is by id, whichever site the peer joins.
    store.addPeer(peer('bad', OTHER));
    expect(store.isQuarantined('bad')).toBe(true);
    expect(store.report('bad', 'r3')).toBe(1);
  });
});
