/**
 * The holders of one content hash in one site, kept three ways so that a `want` never walks them
 * all: every holder, the holders per network key, the holders per region hint. Each group is a
 * Set, whose iteration order is insertion order; a holder a `want` visited is deleted and added
 * again, which moves it to the back. Taking the first few of a group is then a rotation: O(taken)
 * per answer, and successive answers go round all holders instead of handing the same few out.
 */
import type { Nearness, PeerRecord } from './store.js';

/** The network key of an address the tracker could not read (server/tracker/network-key.ts): no group. */
const UNKNOWN_NETWORK = '';

/** One hash's holders. */
export class HolderGroups {
  readonly all = new Set<PeerRecord>();
  #byNetwork: Map<string, Set<PeerRecord>> | undefined;
  #byRegion: Map<string, Set<PeerRecord>> | undefined;

  /** How many peers hold the hash. */
  get size(): number {
    return this.all.size;
  }

  add(peer: PeerRecord): void {
    this.all.add(peer);
    if (peer.networkKey !== UNKNOWN_NETWORK) addTo((this.#byNetwork ??= new Map()), peer.networkKey, peer);
    if (peer.regionHint !== undefined) addTo((this.#byRegion ??= new Map()), peer.regionHint, peer);
  }

  delete(peer: PeerRecord): void {
    this.all.delete(peer);
    if (this.#byNetwork && peer.networkKey !== UNKNOWN_NETWORK) deleteFrom(this.#byNetwork, peer.networkKey, peer);
    if (this.#byRegion && peer.regionHint !== undefined) deleteFrom(this.#byRegion, peer.regionHint, peer);
  }

  /** See TrackerStore.holderSample: at most `perGroup` visits per group, three groups. */
  sample(near: Nearness, perGroup: number, accept: (peer: PeerRecord) => boolean): PeerRecord[] {
    const picked = new Set<PeerRecord>();
    if (near.networkKey !== UNKNOWN_NETWORK) visit(this.#byNetwork?.get(near.networkKey), perGroup, accept, picked);
    if (near.regionHint !== undefined) visit(this.#byRegion?.get(near.regionHint), perGroup, accept, picked);
    visit(this.all, perGroup, accept, picked);
    return [...picked];
  }
}

function addTo(groups: Map<string, Set<PeerRecord>>, key: string, peer: PeerRecord): void {
  let group = groups.get(key);
  if (!group) {
    group = new Set();
    groups.set(key, group);
  }
  group.add(peer);
}

function deleteFrom(groups: Map<string, Set<PeerRecord>>, key: string, peer: PeerRecord): void {
  const group = groups.get(key);
  if (!group) return;
  group.delete(peer);
  if (group.size === 0) groups.delete(key);
}

/** Visits the first `max` of a group, moves them to its back, and adds the accepted ones to `picked`. */
function visit(group: Set<PeerRecord> | undefined, max: number, accept: (peer: PeerRecord) => boolean, picked: Set<PeerRecord>): void {
  if (!group || max <= 0) return;
  const seen: PeerRecord[] = [];
  // Collected first: re-adding while iterating would visit the moved holders again.
  for (const peer of group) {
    seen.push(peer);
    if (seen.length === max) break;
  }
  for (const peer of seen) {
    group.delete(peer);
    group.add(peer);
    if (!picked.has(peer) && accept(peer)) picked.add(peer);
  }
}
