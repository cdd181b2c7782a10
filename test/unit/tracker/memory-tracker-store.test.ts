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
const sorted = (it: Iterable<string>): string[] => [...it].sort();

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

  it('keeps one vote per voter per accused per site, forgets old votes, and quarantines per site', () => {
    const store = new MemoryTrackerStore();
    expect(store.report(SITE, 'bad', 'v4:192.0.2', 1000, 0)).toEqual([1000]);
    // The same voter again: its vote moves to the new time, it is not a second vote.
    expect(store.report(SITE, 'bad', 'v4:192.0.2', 2000, 0)).toEqual([2000]);
    expect(store.report(SITE, 'bad', 'v4:203.0.113', 3000, 0)).toEqual([2000, 3000]);
    expect(store.report(OTHER, 'bad', 'v4:198.51.100', 3000, 0)).toEqual([3000]);
    // Votes older than forgetBefore are dropped.
    expect(store.report(SITE, 'bad', 'v4:198.51.100', 9000, 2500)).toEqual([3000, 9000]);
    expect(store.isQuarantined(SITE, 'bad')).toBe(false);
    store.quarantine(SITE, 'bad');
    store.quarantine(SITE, 'bad');
    expect(store.isQuarantined(SITE, 'bad')).toBe(true);
    // Per site: the same id elsewhere is not excluded, and its votes there stand.
    expect(store.isQuarantined(OTHER, 'bad')).toBe(false);
    expect(store.report(OTHER, 'bad', 'v4:192.0.2', 4000, 0)).toEqual([3000, 4000]);
    // Quarantine cleared the site's votes.
    expect(store.report(SITE, 'bad', 'v4:192.0.2', 10_000, 0)).toEqual([10_000]);
  });

  it('keeps at most 64 voters per accused peer, the latest', () => {
    const store = new MemoryTrackerStore();
    let times: readonly number[] = [];
    for (let i = 0; i < 100; i++) times = store.report(SITE, 'bad', `v4:10.0.${i}`, i, 0);
    expect(times).toEqual(Array.from({ length: 64 }, (_, i) => 36 + i));
  });

  it('stops at the per-peer cap and drops holdings of hashes a new manifest no longer lists', () => {
    const store = new MemoryTrackerStore();
    store.addPeer(peer('a'));
    store.addPeer(peer('b', OTHER));
    expect(store.have(SITE, 'a', [h(1), h(2), h(3), h(4)], 3)).toBe(3);
    expect(store.have(SITE, 'a', [h(1), h(4)], 3)).toBe(3);
    expect(store.holderCount(SITE, h(4))).toBe(0);
    store.have(OTHER, 'b', [h(2), h(9)]);
    store.retainHashes(new Set([h(2), h(3)]));
    expect(sorted(store.peerHashes(SITE, 'a'))).toEqual(sorted([h(2), h(3)]));
    expect(sorted(store.peerHashes(OTHER, 'b'))).toEqual([h(2)]);
    expect(store.holderCount(SITE, h(1))).toBe(0);
    expect(store.holderCount(OTHER, h(9))).toBe(0);
    expect(store.counts()).toEqual({ peers: 2, swarms: 2, contentEntries: 3 });
    // Room again under the cap.
    expect(store.have(SITE, 'a', [h(4)], 3)).toBe(3);
  });

  it('samples holders from the asker\'s network, its region and the swarm, in rotation, visiting at most perGroup per group', () => {
    const store = new MemoryTrackerStore();
    const mk = (id: string, networkKey: string, regionHint?: string): PeerRecord => ({ peerId: id, site: SITE, networkKey, regionHint, uploadScore: 0 });
    const all = [
      ...Array.from({ length: 30 }, (_, i) => mk(`far${i}`, 'v4:203.0.113')),
      mk('net1', 'v4:192.0.2'),
      mk('net2', 'v4:192.0.2'),
      mk('reg1', 'v4:198.51.100', 'eu'),
      mk('unknown', '', undefined),
    ];
    for (const p of all) {
      store.addPeer(p);
      store.have(SITE, p.peerId, [h(1)]);
    }
    let visits = 0;
    const accept = (p: PeerRecord): boolean => {
      visits += 1;
      return p.peerId !== 'far0';
    };
    const near = { networkKey: 'v4:192.0.2', regionHint: 'eu' };
    const first = store.holderSample(SITE, h(1), near, 4, accept).map((p) => p.peerId);
    expect(visits).toBeLessThanOrEqual(12);
    expect(first.slice(0, 3).sort()).toEqual(['net1', 'net2', 'reg1']);
    // The swarm group gave its first four (far0 refused); the next sample takes the next four.
    expect(first.slice(3)).toEqual(['far1', 'far2', 'far3']);
    const second = store.holderSample(SITE, h(1), { networkKey: '', regionHint: undefined }, 4, () => true).map((p) => p.peerId);
    expect(second).toEqual(['far4', 'far5', 'far6', 'far7']);
    // Round and round: every holder comes up within a few samples.
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) for (const p of store.holderSample(SITE, h(1), { networkKey: '', regionHint: undefined }, 4, () => true)) seen.add(p.peerId);
    expect(seen.size).toBe(all.length);
    // A departed holder leaves every group.
    store.removePeer(SITE, 'net1');
    expect(store.holderSample(SITE, h(1), near, 1, () => true).map((p) => p.peerId)[0]).toBe('net2');
    expect(store.holderSample(SITE, h(2), near, 4, () => true)).toEqual([]);
  });
});
