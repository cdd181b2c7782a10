/**
 * One page's tracker session, carried by its signalling socket: its rate, its size caps, the join,
 * and what each message does to the store. The signalling hub only hands frames over; everything a
 * client can send the tracker is decided here. The session's peer id is the one the socket proved
 * to signalling (an issued id and its token), never one a message names. A violation answers
 * `error {code}` and closes this socket only; nothing a client sends throws.
 *
 * What a client says is weighed by what the server can check: `have` counts only files of the
 * current manifest (up to maxHavePerPeer), `report` only between peers the server saw pair, from
 * a reporter old enough, once per reporter network (report-votes.ts); upload rank only from what
 * paired receivers confirm (upload-credit.ts); the byte counters only up to what a page could move
 * since its last stats (byte-allowance.ts).
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../protocol/index.js';
import { parseTrackerClientMessage, type TrackerClientMessage, type TrackerServerMessage } from '../../protocol/messages/tracker.js';
import type { ByteCounters } from '../context.js';
import { countRefusal, type TrackerCounters } from '../metrics/counters.js';
import type { TrackerOptions } from '../options.js';
import type { PeerRecord, TrackerStore } from '../store/store.js';
import type { AvailabilityFeed, AvailabilitySink } from './availability-hub.js';
import { ByteAllowance } from './byte-allowance.js';
import { pickPeers } from './pick-peers.js';
import { RecentPartners } from './recent-partners.js';
import { ReportDesk } from './report-votes.js';
import { TokenBucket } from '../token-bucket.js';
import { CREDIT_BURST_SECONDS, UploadCredit } from './upload-credit.js';
import { NO_UPLOAD_SCORE, addUpload } from './upload-score.js';

/** The slice of the tracker options a session uses. */
export type SessionOptions = Pick<
  TrackerOptions,
  | 'maxPeersPerAnswer'
  | 'quarantineReports'
  | 'reportMinAgeMs'
  | 'reportHalfLifeMs'
  | 'pairTtlMs'
  | 'creditBytesPerSecond'
  | 'statsBytesPerSecond'
  | 'maxHavePerPeer'
  | 'maxHashesPerMessage'
  | 'maxMessageBytes'
  | 'ratePerSecond'
  | 'rateBurst'
>;

/** The part of a WebSocket a session drives (the `ws` socket fits it as is). */
export interface SessionSocket {
  readonly bufferedAmount: number;
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** What a session needs from the server around it. */
export interface SessionDeps {
  readonly options: SessionOptions;
  readonly store: TrackerStore;
  readonly bytes: ByteCounters;
  readonly manifestVersion: () => number | undefined;
  readonly rng: () => number;
  /** Milliseconds since the Unix epoch (upload scores are anchored to it). */
  readonly now: () => number;
  /** Told of joins, leaves and changed holdings, so it can push availability (none: no pushes). */
  readonly availability?: AvailabilityFeed;
  /** The current manifest's file integrities, each mapped to one shared string (a `have` stores that one, not the message's copy). */
  readonly manifestFiles: () => ReadonlyMap<string, string>;
  /** The live session of a peer id, if any (the sender a receiver credits). */
  readonly sessionOf: (peerId: string) => TrackerSession | undefined;
  /** Where answers and refusals are counted (server/metrics/counters.ts). */
  readonly counters?: TrackerCounters;
}

// WebSocket close codes (RFC 6455 §7.4.1).
const POLICY_VIOLATION = 1008;
const MESSAGE_TOO_BIG = 1009;
const TRY_AGAIN_LATER = 1013;
const INTERNAL_ERROR = 1011;

/** 1 MiB unread: far above a healthy client's backlog (answers are < 1 KiB), and it caps what one reader can pin. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Holders visited per group (network, region, swarm) for one `want`: a few times K, so ranking has a choice. */
const SAMPLE_PER_K = 4;
const MIN_SAMPLE = 16;
/** Seconds of bytes a stats message may catch up on: a page reports every 5 s, and after a reconnect its backlog waits. */
const STATS_BURST_SECONDS = 30;

function closeCodeFor(code: ErrorCode): number {
  if (code === 'TRACKER_FRAME_TOO_LARGE') return MESSAGE_TOO_BIG;
  if (code === 'TRACKER_SLOW_CLIENT') return TRY_AGAIN_LATER;
  if (code === 'INTERNAL') return INTERNAL_ERROR;
  return POLICY_VIOLATION;
}

/** One client of the tracker, from its first tracker frame to its socket's close. */
export class TrackerSession implements AvailabilitySink {
  #peer: PeerRecord | undefined;
  #open = true;
  readonly #bucket: TokenBucket;
  readonly #partners: RecentPartners;
  /** Set at join: what this client may add to the byte counters, and credit to others. */
  #counted: { peer: ByteAllowance; cache: ByteAllowance; origin: ByteAllowance; credit: ByteAllowance } | undefined;
  /** Set at join: the credit receivers may give this peer, per receiver network. */
  #credit: UploadCredit | undefined;
  /** Set at join: this peer's reports, held until it is old enough (report-votes.ts). */
  #reports: ReportDesk | undefined;

  constructor(
    private readonly socket: SessionSocket,
    /** This socket's network key (network-key.ts), fixed at connection time. */
    readonly networkKey: string,
    private readonly deps: SessionDeps,
    /** The id the socket proved to signalling: the only id this session can join as. */
    readonly ownerId: string,
  ) {
    this.#bucket = new TokenBucket(deps.options.ratePerSecond, deps.options.rateBurst, deps.now());
    this.#partners = new RecentPartners(deps.options.pairTtlMs);
  }

  /** The peer this session joined as (undefined before `join` and after close). */
  get peer(): PeerRecord | undefined {
    return this.#peer;
  }

  /** The server relayed an ANSWER between this peer and `peerId` (either way) at `at`. */
  notePartner(peerId: string, at: number): void {
    if (this.#open) this.#partners.note(peerId, at);
  }

  /**
   * A receiver on `network` says it got `bytes` from this peer (the caller checked that the two
   * paired); credits what this peer's allowance for that network grants and returns it.
   */
  acceptCredit(network: string, bytes: number, now: number): number {
    const peer = this.#peer;
    if (!peer || !this.#credit) return 0;
    const granted = this.#credit.take(network, bytes, now);
    if (granted === 0) return 0;
    peer.uploadScore = addUpload(peer.uploadScore, granted, now);
    this.deps.store.setUploadScore(peer.site, peer.peerId, peer.uploadScore);
    return granted;
  }

  /** One frame from the socket; `text` decodes it only once the cheap checks have passed. */
  receive(byteLength: number, isBinary: boolean, text: () => string): void {
    if (!this.#open) return;
    const { options } = this.deps;
    if (!this.#bucket.take(this.deps.now())) return this.fail('TRACKER_RATE_LIMITED');
    if (byteLength > options.maxMessageBytes) return this.fail('TRACKER_FRAME_TOO_LARGE');
    if (isBinary) return this.fail('TRACKER_MALFORMED');
    const parsed = parseTrackerClientMessage(text(), {
      maxHashesPerMessage: options.maxHashesPerMessage,
      maxMessageChars: options.maxMessageBytes,
    });
    if (!parsed.ok) return this.fail(parsed.code);
    this.#handle(parsed.value);
  }

  /** Sends an already serialized frame (a broadcast serializes once for every socket). */
  sendText(text: string): void {
    if (!this.#open) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) return this.fail('TRACKER_SLOW_CLIENT');
    this.socket.send(text);
  }

  /**
   * Sends a batch of serialized frames (an availability snapshot may span several). The backlog is
   * checked once per batch: a snapshot is bounded by the manifest, and cutting it halfway would
   * leave the client with half a view.
   */
  sendTexts(texts: readonly string[]): void {
    if (!this.#open) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) return this.fail('TRACKER_SLOW_CLIENT');
    for (const text of texts) this.socket.send(text);
    // Only the availability hub sends batches.
    if (this.deps.counters) this.deps.counters.answers.availability += texts.length;
  }

  /** Answers `error {code}`, closes the socket with the matching close code, and forgets the peer. */
  fail(code: ErrorCode): void {
    if (!this.#open) return;
    const counters = this.deps.counters;
    if (counters) {
      counters.answers.error++;
      countRefusal(counters.refusals, code);
    }
    // The error frame goes even past the backlog cap: it is the last thing this socket gets.
    this.socket.send(JSON.stringify({ type: 'error', code, message: ERROR_CATALOGUE[code].summary } satisfies TrackerServerMessage));
    this.socket.close(closeCodeFor(code), code);
    this.dispose();
  }

  /** Removes the peer and everything it announced; idempotent (close and fail both call it). */
  dispose(): void {
    this.#open = false;
    this.#reports?.close();
    const peer = this.#peer;
    this.#peer = undefined;
    if (!peer) return;
    const { store, availability } = this.deps;
    if (availability) {
      availability.leave(this, peer.site);
      // Read before the removal: these are the counts its leaving lowers.
      availability.changed(peer.site, store.peerHashes(peer.site, peer.peerId));
    }
    store.removePeer(peer.site, peer.peerId);
  }

  #send(message: TrackerServerMessage): void {
    if (this.deps.counters) this.deps.counters.answers[message.type]++;
    this.sendText(JSON.stringify(message));
  }

  #handle(message: TrackerClientMessage): void {
    if (message.type === 'ping') return this.#send({ type: 'pong' });
    if (message.type === 'join') return this.#join(message.peerId ?? this.ownerId, message.site, message.region);
    const peer = this.#peer;
    if (!peer) return this.fail('TRACKER_NOT_JOINED');
    const { store, options } = this.deps;
    switch (message.type) {
      case 'have': {
        // Only files of the current manifest are kept (anything else has no holder worth finding),
        // as the manifest's own strings; past the per-peer cap the rest is ignored.
        const files = this.deps.manifestFiles();
        const kept: string[] = [];
        for (const hash of message.hashes) {
          const file = files.get(hash);
          if (file !== undefined) kept.push(file);
        }
        if (kept.length === 0) return;
        store.have(peer.site, peer.peerId, kept, options.maxHavePerPeer);
        return this.deps.availability?.changed(peer.site, kept);
      }
      case 'lost':
        this.deps.availability?.changed(peer.site, message.hashes);
        return store.lost(peer.site, peer.peerId, message.hashes);
      case 'want': {
        const k = options.maxPeersPerAnswer;
        // A bounded sample of holders (holder-groups.ts): an answer costs O(K), not O(holders).
        const sample = store.holderSample(peer.site, message.hash, peer, Math.max(SAMPLE_PER_K * k, MIN_SAMPLE), (p) => p.peerId !== peer.peerId && !store.isQuarantined(peer.site, p.peerId));
        const picked = pickPeers(sample, peer, k, this.deps.rng);
        const answer = { type: 'peers', hash: message.hash, peers: picked.map((p) => p.peerId), holders: store.holderCount(peer.site, message.hash) } as const;
        return this.#send(message.requestId === undefined ? answer : { ...answer, requestId: message.requestId });
      }
      case 'report':
        return this.#report(peer, message.peerId);
      case 'stats':
        return this.#stats(peer, message);
    }
  }

  #join(peerId: string, site: string, region: string | undefined): void {
    const { store } = this.deps;
    if (this.#peer) return this.fail('TRACKER_ALREADY_JOINED');
    // A join may name its id (the stock protocol did); only the socket's own is accepted.
    if (peerId !== this.ownerId) return this.fail('TRACKER_ID_NOT_OWNED');
    // Refuse rather than replace: peer ids travel in every `peers` answer, so replacing would let
    // anyone who was told an id take over that peer's place in the swarm.
    if (store.getPeer(site, peerId)) return this.fail('TRACKER_ID_TAKEN');
    const record: PeerRecord = { peerId, site, networkKey: this.networkKey, regionHint: region, uploadScore: NO_UPLOAD_SCORE };
    store.addPeer(record);
    this.#peer = record;
    const now = this.deps.now();
    const { statsBytesPerSecond, creditBytesPerSecond } = this.deps.options;
    // Every allowance starts empty at the join: no page moved a byte in this swarm before it.
    this.#counted = {
      peer: new ByteAllowance(statsBytesPerSecond, STATS_BURST_SECONDS, now),
      cache: new ByteAllowance(statsBytesPerSecond, STATS_BURST_SECONDS, now),
      origin: new ByteAllowance(statsBytesPerSecond, STATS_BURST_SECONDS, now),
      credit: new ByteAllowance(creditBytesPerSecond, CREDIT_BURST_SECONDS, now),
    };
    this.#credit = new UploadCredit(creditBytesPerSecond, now);
    this.#reports = new ReportDesk(this.deps, record, now);
    const manifestVersion = this.deps.manifestVersion();
    this.#send(manifestVersion === undefined ? { type: 'joined', peerId } : { type: 'joined', peerId, manifestVersion });
    // Right after `joined`: the site's full availability snapshot, then its deltas.
    this.deps.availability?.join(this, site);
  }

  #report(reporter: PeerRecord, accused: string): void {
    const { store } = this.deps;
    // Ignored rather than refused: a report about a peer that just left is normal. Only a peer of
    // the reporter's own swarm that the server saw it pair with can be accused (so made-up ids and
    // peers it never talked to cost nothing), and a quarantined peer's word does not count.
    if (accused === reporter.peerId || store.isQuarantined(reporter.site, reporter.peerId) || !store.getPeer(reporter.site, accused)) return;
    if (this.#partners.has(accused, this.deps.now())) this.#reports?.report(accused);
  }

  #stats(peer: PeerRecord, message: Extract<TrackerClientMessage, { type: 'stats' }>): void {
    const counted = this.#counted;
    if (!counted) return;
    const now = this.deps.now();
    const { bytes } = this.deps;
    // A page cannot move more than a real link carries since its last stats: the rest of a claim is dropped.
    bytes.peer += counted.peer.take(message.peer, now);
    bytes.cache += counted.cache.take(message.cache, now);
    bytes.origin += counted.origin.take(message.origin, now);
    if (message.from === undefined || this.deps.store.isQuarantined(peer.site, peer.peerId)) return;
    for (const senderId in message.from) {
      if (senderId === peer.peerId || !this.#partners.has(senderId, now)) continue;
      const sender = this.deps.sessionOf(senderId);
      if (sender === undefined || sender.peer?.site !== peer.site) continue;
      const offered = counted.credit.take(message.from[senderId]!, now);
      if (offered === 0) break;
      counted.credit.refund(offered - sender.acceptCredit(this.networkKey, offered, now));
    }
  }
}
