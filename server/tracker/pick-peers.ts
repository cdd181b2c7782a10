/**
 * Which holders a `want` is answered with: at most K, never the whole swarm (a naive have/want
 * tracker that lists every holder turns each request into a message storm and every popular
 * peer into a hotspot). Nearest first, then the best uploaders, then chance.
 */
import type { PeerRecord } from '../store/store.js';
import { UNKNOWN_NETWORK } from './network-key.js';

/** What the ranking needs to know about the peer asking. */
export type Asker = Pick<PeerRecord, 'peerId' | 'networkKey' | 'regionHint'>;

/**
 * How near a holder is to the asker: 3 same network and region, 2 same network (/24 or /48), 1 same
 * region hint only, 0 neither. A shared network beats a shared region: it is measured, not claimed.
 */
export function proximity(asker: Asker, holder: Pick<PeerRecord, 'networkKey' | 'regionHint'>): number {
  const sameNetwork = asker.networkKey !== UNKNOWN_NETWORK && asker.networkKey === holder.networkKey;
  const sameRegion = asker.regionHint !== undefined && asker.regionHint === holder.regionHint;
  return (sameNetwork ? 2 : 0) + (sameRegion ? 1 : 0);
}

interface Ranked {
  readonly peer: PeerRecord;
  readonly proximity: number;
  readonly score: number;
  /** A fresh random draw per candidate: ordering equal candidates by it picks a uniform random subset. */
  readonly tie: number;
}

/** True when `a` ranks strictly before `b`. */
function before(a: Ranked, b: Ranked): boolean {
  if (a.proximity !== b.proximity) return a.proximity > b.proximity;
  if (a.score !== b.score) return a.score > b.score;
  return a.tie > b.tie;
}

/**
 * Picks at most `k` holders for `asker`: never the asker itself, never an excluded (quarantined)
 * peer; nearest first, then by upload score, random among equals. One pass over the holders
 * keeping a sorted selection of at most k (O(n·log k) compares plus O(k) moves on an insert), so
 * a swarm of thousands is never sorted to answer with five.
 */
export function pickPeers(
  holders: Iterable<PeerRecord>,
  asker: Asker,
  k: number,
  rng: () => number,
  isExcluded: (peerId: string) => boolean = () => false,
): PeerRecord[] {
  if (k <= 0) return [];
  // Best first; `picked[picked.length - 1]` is the one a better candidate evicts.
  const picked: Ranked[] = [];
  for (const peer of holders) {
    if (peer.peerId === asker.peerId || isExcluded(peer.peerId)) continue;
    const candidate: Ranked = { peer, proximity: proximity(asker, peer), score: peer.uploadScore, tie: rng() };
    const worst = picked[picked.length - 1];
    if (picked.length === k && worst && !before(candidate, worst)) continue;
    // Binary search for the first entry the candidate ranks before.
    let lo = 0;
    let hi = picked.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(candidate, picked[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    picked.splice(lo, 0, candidate);
    if (picked.length > k) picked.pop();
  }
  return picked.map((r) => r.peer);
}
