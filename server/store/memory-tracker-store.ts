/**
 * The in-memory tracker store. Like bittorrent-tracker's per-content swarm, but indexed both ways
 * so that every operation costs what it touches: hash → holders answers `want` and counts health,
 * peer → hashes makes removing a peer O(its hashes) instead of a scan of every hash in the site.
 */
import type { PeerRecord, TrackerStore } from './store.js';

/** Accused peers with pending reports kept at most; the oldest are forgotten first. */
const MAX_PENDING_REPORTS = 100_000;
/** Quarantined ids kept at most; the oldest go first (their holders have long reconnected under new ids). */
const MAX_QUARANTINED = 100_000;

interface PeerEntry {
  readonly record: PeerRecord;
  /** What this peer announced: the reverse index that makes removal cheap. */
  readonly hashes: Set<string>;
}

/** One site's swarm. Holder sets hold the records themselves, so a `want` needs no lookups. */
interface SiteSwarm {
  readonly peers: Map<string, PeerEntry>;
  readonly holders: Map<string, Set<PeerRecord>>;
}

const NONE: readonly PeerRecord[] = Object.freeze([]);
const NO_HASHES: readonly string[] = Object.freeze([]);

/** Tracker state in this process's memory: the default store. */
export class MemoryTrackerStore implements TrackerStore {
  readonly #sites = new Map<string, SiteSwarm>();
  /** Accused peer id → distinct reporter ids. Global: quarantine spans every site. */
  readonly #reports = new Map<string, Set<string>>();
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

  have(site: string, peerId: string, hashes: readonly string[]): number {
    const swarm = this.#sites.get(site);
    const entry = swarm?.peers.get(peerId);
    if (!swarm || !entry) return 0;
    for (const hash of hashes) {
      if (entry.hashes.has(hash)) continue;
      entry.hashes.add(hash);
      let holders = swarm.holders.get(hash);
      if (!holders) {
        holders = new Set();
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

  setUploadScore(site: string, peerId: string, score: number): void {
    const entry = this.#sites.get(site)?.peers.get(peerId);
    if (entry) entry.record.uploadScore = score;
  }

  holders(site: string, hash: string): Iterable<PeerRecord> {
    return this.#sites.get(site)?.holders.get(hash) ?? NONE;
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

  report(accused: string, reporter: string): number {
    let reporters = this.#reports.get(accused);
    if (!reporters) {
      reporters = new Set();
      this.#reports.set(accused, reporters);
      // Reports arrive from untrusted clients; bound what they can make the server remember.
      if (this.#reports.size > MAX_PENDING_REPORTS) this.#reports.delete(this.#reports.keys().next().value!);
    }
    reporters.add(reporter);
    return reporters.size;
  }

  quarantine(peerId: string): void {
    this.#reports.delete(peerId);
    if (this.#quarantined.has(peerId)) return;
    this.#quarantined.add(peerId);
    if (this.#quarantined.size > MAX_QUARANTINED) this.#quarantined.delete(this.#quarantined.values().next().value!);
  }

  isQuarantined(peerId: string): boolean {
    return this.#quarantined.has(peerId);
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
