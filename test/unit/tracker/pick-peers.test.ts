import { describe, expect, it } from '@jest/globals';
import type { PeerRecord } from '../../../server/store/store.js';
import { pickPeers, proximity } from '../../../server/tracker/pick-peers.js';
// Seeded, so every run of these tests draws the same numbers.
import { seededRandom as seeded } from '../../../scripts/lib/seeded-random.mjs';

function peer(peerId: string, networkKey = 'v4:198.51.100', uploadScore = 0, regionHint?: string): PeerRecord {
  return { peerId, site: 'https://a.example', networkKey, regionHint, uploadScore };
}

const asker = peer('asker', 'v4:192.0.2', 0, 'eu');

describe('pickPeers', () => {
  it('answers at most K, never the asker, never an excluded peer', () => {
    const holders = [asker, ...Array.from({ length: 50 }, (_, i) => peer(`p${i}`))];
    const quarantined = new Set(['p1', 'p2', 'p3']);
    const picked = pickPeers(holders, asker, 5, seeded(1), (id) => quarantined.has(id));
    expect(picked).toHaveLength(5);
    for (const p of picked) {
      expect(p.peerId).not.toBe('asker');
      expect(quarantined.has(p.peerId)).toBe(false);
    }
    expect(new Set(picked).size).toBe(5);
    expect(pickPeers(holders, asker, 0, seeded(1))).toEqual([]);
    expect(pickPeers([asker, peer('q')], asker, 5, seeded(1), (id) => id === 'q')).toEqual([]);
  });

  it('ranks the same /24 or /48 first, then the same region, then everyone else', () => {
    const far = Array.from({ length: 100 }, (_, i) => peer(`far${i}`, 'v4:203.0.113', 1e9));
    const sameRegion = peer('region', 'v6:2001:db8:9', 0, 'eu');
    const sameNet = peer('net', 'v4:192.0.2', 0);
    const sameBoth = peer('both', 'v4:192.0.2', 0, 'eu');
    const holders = [...far.slice(0, 50), sameRegion, ...far.slice(50), sameNet, sameBoth];
    expect(pickPeers(holders, asker, 4, seeded(2)).map((p) => p.peerId).slice(0, 3)).toEqual(['both', 'net', 'region']);

    const v6Asker = peer('v6', 'v6:2001:db8:1');
    const v6Holders = [peer('a', 'v6:2001:db8:2', 5), peer('b', 'v6:2001:db8:1', 0)];
    expect(pickPeers(v6Holders, v6Asker, 1, seeded(3)).map((p) => p.peerId)).toEqual(['b']);
  });

  it('never counts an unknown network as shared', () => {
    expect(proximity(peer('x', ''), peer('y', ''))).toBe(0);
    expect(proximity(peer('x', '', 0, undefined), peer('y', 'v4:1.2.3', 0, undefined))).toBe(0);
  });

  it('ranks by upload score within the same proximity', () => {
    const holders = Array.from({ length: 1000 }, (_, i) => peer(`p${i}`, 'v4:203.0.113', i));
    const picked = pickPeers(holders, asker, 5, seeded(4));
    expect(picked.map((p) => p.uploadScore)).toEqual([999, 998, 997, 996, 995]);
  });

  it('breaks ties at random: different seeds pick different peers, and every peer gets picked', () => {
    const holders = Array.from({ length: 20 }, (_, i) => peer(`p${i}`));
    const answers = new Set<string>();
    const timesPicked = new Map<string, number>();
    for (let seed = 1; seed <= 400; seed++) {
      const ids = pickPeers(holders, asker, 5, seeded(seed)).map((p) => p.peerId);
      answers.add([...ids].sort().join(','));
      for (const id of ids) timesPicked.set(id, (timesPicked.get(id) ?? 0) + 1);
    }
    expect(answers.size).toBeGreaterThan(300);
    // 400 answers × 5 / 20 peers = 100 expected picks each; a fair draw stays well inside 50–150.
    expect(timesPicked.size).toBe(20);
    for (const n of timesPicked.values()) {
      expect(n).toBeGreaterThan(50);
      expect(n).toBeLessThan(150);
    }
  });

  it('scans a swarm of thousands once, keeping only K (the answer matches a full sort)', () => {
    const rng = seeded(5);
    const holders = Array.from({ length: 5000 }, (_, i) =>
      peer(`p${i}`, rng() < 0.01 ? 'v4:192.0.2' : 'v4:203.0.113', Math.floor(rng() * 100), rng() < 0.05 ? 'eu' : undefined),
    );
    let visited = 0;
    const counting: Iterable<PeerRecord> = {
      *[Symbol.iterator]() {
        for (const h of holders) {
          visited += 1;
          yield h;
        }
      },
    };
    const picked = pickPeers(counting, asker, 5, seeded(6));
    expect(visited).toBe(5000);
    const rank = (p: PeerRecord): [number, number] => [proximity(asker, p), p.uploadScore];
    const best = [...holders].sort((a, b) => rank(b)[0] - rank(a)[0] || rank(b)[1] - rank(a)[1]).slice(0, 5);
    expect(picked.map(rank)).toEqual(best.map(rank));
  });
});
