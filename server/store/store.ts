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
  /** Upload score from the bytes receivers that paired with it confirmed (decayed); higher is better. */
  uploadScore: number;
}

/** Where an asker is, as the holder sample needs it. */
export type Nearness = Pick<PeerRecord, 'networkKey' | 'regionHint'>;

/**
 * Tracker state: who is in which site's swarm, who holds which content hash, and the votes and
 * quarantines of each site (a peer is judged by the visitors of the site it served). Every method
 * maps onto a few Redis commands (sets per peer, lists per hash rotated with LMOVE, SCARD, hashes
 * of vote times), so a Redis store can implement it as is.
 */
export interface TrackerStore {
  /** Adds a peer to its site's swarm, holding nothing yet (replaces a record with the same id). */
  addPeer(peer: PeerRecord): void;
  /** Removes a peer and every hash it announced: O(its hashes). */
  removePeer(site: string, peerId: string): void;
  getPeer(site: string, peerId: string): PeerRecord | undefined;
  /** Records that a peer holds these content hashes, up to `max` in all (the rest are ignored); returns how many it holds now. */
  have(site: string, peerId: string, hashes: readonly string[], max?: number): number;
  /** Records that a peer no longer holds these content hashes. */
  lost(site: string, peerId: string, hashes: readonly string[]): void;
  /** Drops every holding of a hash not in `keep`, in every site (a new manifest): O(holdings dropped + hashes held). */
  retainHashes(keep: ReadonlySet<string>): void;
  /** Sets a peer's upload score (see server/tracker/upload-score.ts). */
  setUploadScore(site: string, peerId: string, score: number): void;
  /** Every holder of a hash: O(holders), for tests and tools; a `want` takes holderSample. */
  holders(site: string, hash: string): Iterable<PeerRecord>;
  /**
   * Holders to rank for a `want`, visiting at most `perGroup` holders in each of three groups: the
   * asker's network, its region hint, the whole swarm. Each group is walked in rotation (a visited
   * holder moves to its back), so an answer costs O(perGroup) however many hold the hash, and
   * successive answers spread over all of them. `accept` is called for each holder visited (at most
   * once per group); the distinct accepted ones are returned.
   */
  holderSample(site: string, hash: string, near: Nearness, perGroup: number, accept: (peer: PeerRecord) => boolean): PeerRecord[];
  /** How many peers hold a hash. */
  holderCount(site: string, hash: string): number;
  /** Every hash at least one peer of the site holds (the availability snapshot walks it when it is the smaller side); live, so walk it before changing the store. */
  heldHashes(site: string): Iterable<string>;
  /** How many distinct hashes the site's peers hold. */
  heldHashCount(site: string): number;
  /** What one peer announced (live, like heldHashes); read before removePeer to learn which counts a departure changes. */
  peerHashes(site: string, peerId: string): Iterable<string>;
  /**
   * Records a vote of `voter` (a reporter's network) that `accused` served bad bytes in `site`, at
   * `at`; a voter's later vote replaces its earlier one. Votes older than `forgetBefore` are dropped.
   * Returns the times of the votes that remain, one per voter.
   */
  report(site: string, accused: string, voter: string, at: number, forgetBefore: number): readonly number[];
  /** Excludes a peer from its site's answers (its votes are no longer needed). */
  quarantine(site: string, peerId: string): void;
  isQuarantined(site: string, peerId: string): boolean;
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
