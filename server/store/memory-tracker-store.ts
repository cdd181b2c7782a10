/**
 * The in-memory tracker store. Like bittorrent-tracker's per-content swarm, but indexed both ways
 * so that every operation costs what it touches: hash → holders (in rotating groups,
 * holder-groups.ts) answers `want` from a bounded sample and counts health, peer → hashes makes
 * removing a peer O(its hashes) instead of a scan of every hash in the site.
 */
import { HolderGroups } from './holder-groups.js';
import type { Nearness, PeerRecord, TrackerStore } from './store.js';

/** Accused peers (per site) with pending votes kept at most; the oldest are forgotten first. */
const MAX_PENDING_REPORTS = 100_000;
/** Voters kept per accused peer: far above any quarantine threshold, and a bound on what reports can pin. */
const MAX_VOTERS = 64;
/** Quarantined (site, id) pairs kept at most; the oldest go first (their holders have long reconnected under new ids). */
const MAX_QUARANTINED = 100_000;

interface PeerEntry {
  readonly record: PeerRecord;
  /** What this peer announced: the reverse index that makes removal cheap. */
  readonly hashes: Set<string>;
}

/** One site's swarm. Holder groups hold the records themselves, so a `want` needs no lookups. */
interface SiteSwarm {
  readonly peers: Map<string, PeerEntry>;
  readonly holders: Map<string, HolderGroups>;
}

/** One key per (site, peer): a site is visible ASCII (protocol/messages/tracker.ts), so a newline never occurs in one. */
function siteKey(site: string, peerId: string): string {
  return `${site}\n${peerId}`;
}

const NONE: readonly PeerRecord[] = Object.freeze([]);
const NO_HASHES: readonly string[] = Object.freeze([]);

/** Tracker state in this process's memory: the default store. */
export class MemoryTrackerStore implements TrackerStore {
  readonly #sites = new Map<string, SiteSwarm>();
  /** (site, accused) → voter → time of its vote. */
  readonly #votes = new Map<string, Map<string, number>>();
  /** Quarantined (site, id) keys. */
  readonly #quarantined = new Set<string>();
  #peerCount = 0;
  #contentEntries = 0;

  addPeer(peer: PeerRecord): void {
    this.removePeer(peer.site, peer.peerId);
    let swarm = this.#sites.get(peer.site);
    if (!swarm) {
      swarm = { peers: new Map(), holders: new Map() };
      this.#sites.set(peer.site, swarm);
    }
    // A copy: the caller's object must not be able to change the index behind the store's back.
    swarm.peers.set(peer.peerId, { record: { ...peer }, hashes: new Set() });
    this.#peerCount += 1;
  }

  removePeer(site: string, peerId: string): void {
    const swarm = this.#sites.get(site);
    const entry = swarm?.peers.get(peerId);
    if (!swarm || !entry) return;
    for (const hash of entry.hashes) this.#unindex(swarm, entry.record, hash);
    swarm.peers.delete(peerId);
    this.#peerCount -= 1;
    if (swarm.peers.size === 0) this.#sites.delete(site);
  }

  getPeer(site: string, peerId: string): PeerRecord | undefined {
    return this.#sites.get(site)?.peers.get(peerId)?.record;
  }

  have(site: string, peerId: string, hashes: readonly string[], max = Number.POSITIVE_INFINITY): number {
    const swarm = this.#sites.get(site);
    const entry = swarm?.peers.get(peerId);
    if (!swarm || !entry) return 0;
    for (const hash of hashes) {
      if (entry.hashes.has(hash)) continue;
      if (entry.hashes.size >= max) break;
      entry.hashes.add(hash);
      let holders = swarm.holders.get(hash);
      if (!holders) {
        holders = new HolderGroups();
        swarm.holders.set(hash, holders);
        this.#contentEntries += 1;
      }
      holders.add(entry.record);
    }
    return entry.hashes.size;
  }

  lost(site: string, peerId: string, hashes: readonly string[]): void {
    const swarm = this.#sites.get(site);
    const entry = swarm?.peers.get(peerId);
    if (!swarm || !entry) return;
    // Only what the peer announced is touched, so a `lost` of hashes it never held costs a lookup each.
    for (const hash of hashes) if (entry.hashes.delete(hash)) this.#unindex(swarm, entry.record, hash);
  }

  retainHashes(keep: ReadonlySet<string>): void {
    for (const swarm of this.#sites.values()) {
      // Deleting the entry being visited is safe in a Map walk.
      for (const [hash, holders] of swarm.holders) {
        if (keep.has(hash)) continue;
        for (const record of holders.all) swarm.peers.get(record.peerId)?.hashes.delete(hash);
        swarm.holders.delete(hash);
        this.#contentEntries -= 1;
      }
    }
  }

  setUploadScore(site: string, peerId: string, score: number): void {
    const entry = this.#sites.get(site)?.peers.get(peerId);
    if (entry) entry.record.uploadScore = score;
  }

  holders(site: string, hash: string): Iterable<PeerRecord> {
    return this.#sites.get(site)?.holders.get(hash)?.all ?? NONE;
  }

  holderSample(site: string, hash: string, near: Nearness, perGroup: number, accept: (peer: PeerRecord) => boolean): PeerRecord[] {
    return this.#sites.get(site)?.holders.get(hash)?.sample(near, perGroup, accept) ?? [];
  }

  holderCount(site: string, hash: string): number {
    return this.#sites.get(site)?.holders.get(hash)?.size ?? 0;
  }

  heldHashes(site: string): Iterable<string> {
    return this.#sites.get(site)?.holders.keys() ?? NO_HASHES;
  }

  heldHashCount(site: string): number {
    return this.#sites.get(site)?.holders.size ?? 0;
  }

  peerHashes(site: string, peerId: string): Iterable<string> {
    return this.#sites.get(site)?.peers.get(peerId)?.hashes.values() ?? NO_HASHES;
  }

  report(site: string, accused: string, voter: string, at: number, forgetBefore: number): readonly number[] {
    const key = siteKey(site, accused);
    let votes = this.#votes.get(key);
    if (!votes) {
      votes = new Map();
      this.#votes.set(key, votes);
      // Reports arrive from untrusted clients; bound what they can make the server remember.
      if (this.#votes.size > MAX_PENDING_REPORTS) this.#votes.delete(this.#votes.keys().next().value!);
    }
    // Re-inserted, so the Map's order is the order of the latest votes: the oldest go first.
    votes.delete(voter);
    votes.set(voter, at);
    if (votes.size > MAX_VOTERS) votes.delete(votes.keys().next().value!);
    for (const [who, time] of votes) if (time < forgetBefore) votes.delete(who);
    return [...votes.values()];
  }

  quarantine(site: string, peerId: string): void {
    const key = siteKey(site, peerId);
    this.#votes.delete(key);
    if (this.#quarantined.has(key)) return;
    this.#quarantined.add(key);
    if (this.#quarantined.size > MAX_QUARANTINED) this.#quarantined.delete(this.#quarantined.values().next().value!);
  }

  isQuarantined(site: string, peerId: string): boolean {
    return this.#quarantined.has(siteKey(site, peerId));
  }

  counts(): { peers: number; swarms: number; contentEntries: number } {
    return { peers: this.#peerCount, swarms: this.#sites.size, contentEntries: this.#contentEntries };
  }

  /** Removes one holder of one hash from the hash index, dropping the holder set when it empties. */
  #unindex(swarm: SiteSwarm, record: PeerRecord, hash: string): void {
    const holders = swarm.holders.get(hash);
    if (!holders) return;
    holders.delete(record);
    if (holders.size > 0) return;
    swarm.holders.delete(hash);
    this.#contentEntries -= 1;
  }
}
