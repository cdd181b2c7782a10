/**
 * The state behind the tracker and signalling, behind one small interface so that a Redis store can
 * be added later without touching the plugins. The in-memory store is the default. Methods are
 * synchronous-looking where the hot path needs it in memory; a networked store would batch.
 */

/** One peer as the tracker knows it. */
export interface PeerRecord {
  readonly peerId: string;
  readonly site: string;
  /** /24 of IPv4, /48 of IPv6, or the client's region hint: peers with the same key are "near". */
  readonly networkKey: string;
  readonly regionHint: string | undefined;
  /** Upload score the peer reports (bytes served, decayed); higher is better. */
  uploadScore: number;
}

/**
 * Tracker state: who is in which site's swarm and who holds which content hash. Swarms are
 * partitioned per site; quarantine and reports are global (a peer that serves bad bytes to one
 * site's visitors is not trusted by another's). Every method maps onto a few Redis commands
 * (sets per hash and per peer, SCARD, SISMEMBER), so a Redis store can implement it as is.
 */
export interface TrackerStore {
  /** Adds a peer to its site's swarm, holding nothing yet (replaces a record with the same id). */
  addPeer(peer: PeerRecord): void;
  /** Removes a peer and every hash it announced: O(its hashes). */
  removePeer(site: string, peerId: string): void;
  getPeer(site: string, peerId: string): PeerRecord | undefined;
  /** Records that a peer holds these content hashes; returns how many it holds now (the caller enforces its cap). */
  have(site: string, peerId: string, hashes: readonly string[]): number;
  /** Records that a peer no longer holds these content hashes. */
  lost(site: string, peerId: string, hashes: readonly string[]): void;
  /** Sets the upload score a peer's reports add up to (see server/tracker/upload-score.ts). */
  setUploadScore(site: string, peerId: string, score: number): void;
  /** Peers holding a hash (the caller picks and bounds the answer). */
  holders(site: string, hash: string): Iterable<PeerRecord>;
  /** How many peers hold a hash. */
  holderCount(site: string, hash: string): number;
  /** Every hash at least one peer of the site holds (the availability snapshot walks it when it is the smaller side); live, so walk it before changing the store. */
  heldHashes(site: string): Iterable<string>;
  /** How many distinct hashes the site's peers hold. */
  heldHashCount(site: string): number;
  /** What one peer announced (live, like heldHashes); read before removePeer to learn which counts a departure changes. */
  peerHashes(site: string, peerId: string): Iterable<string>;
  /** Records a report that `accused` served bad bytes; returns the number of distinct reporters. */
  report(accused: string, reporter: string): number;
  /** Excludes a peer from every swarm's answers (its pending reports are no longer needed). */
  quarantine(peerId: string): void;
  isQuarantined(peerId: string): boolean;
  counts(): { peers: number; swarms: number; contentEntries: number };
}

/** Signalling state: issued ids bound to tokens. */
export interface SignallingStore {
  /**
   * Remembers an id the server issued to a client at `address` (an address key), until `ttlMs`
   * passes unclaimed; false, and nothing issued, when that address already has `maxPerAddress`
   * unclaimed ids (a counter per address with the ids' TTL, in a networked store).
   */
  issueId(id: string, ttlMs: number, address: string, maxPerAddress: number): boolean;
  /** True while `id` was issued and is claimed, or unclaimed within its TTL: frames may wait for it. */
  isIssued(id: string): boolean;
  /** Binds an issued id to a token on first use; true when (id, token) may connect. */
  claimId(id: string, token: string): boolean;
  /** Forgets an id (after its connection is gone for good). */
  releaseId(id: string): void;
  counts(): { issuedIds: number };
}

/** Everything a server keeps. */
export interface SwarmStore {
  readonly tracker: TrackerStore;
  readonly signalling: SignallingStore;
}
