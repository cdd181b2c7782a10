/**
 * One page's tracker session, carried by its signalling socket: its rate, its size caps, the join,
 * and what each message does to the store. The signalling hub only hands frames over; everything a
 * client can send the tracker is decided here. The session's peer id is the one the socket proved
 * to signalling (an issued id and its token), never one a message names. A violation answers
 * `error {code}` and closes this socket only; nothing a client sends throws.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../protocol/index.js';
import { parseTrackerClientMessage, type TrackerClientMessage, type TrackerServerMessage } from '../../protocol/messages/tracker.js';
import type { ByteCounters } from '../context.js';
import type { TrackerOptions } from '../options.js';
import type { PeerRecord, TrackerStore } from '../store/store.js';
import type { AvailabilityFeed, AvailabilitySink } from './availability-hub.js';
import { pickPeers } from './pick-peers.js';
import { TokenBucket } from '../token-bucket.js';
import { NO_UPLOAD_SCORE, addUpload } from './upload-score.js';

/** The slice of the tracker options a session uses. */
export type SessionOptions = Pick<
  TrackerOptions,
  'maxPeersPerAnswer' | 'quarantineReports' | 'maxHavePerPeer' | 'maxHashesPerMessage' | 'maxMessageBytes' | 'ratePerSecond' | 'rateBurst'
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
}

// WebSocket close codes (RFC 6455 §7.4.1).
const POLICY_VIOLATION = 1008;
const MESSAGE_TOO_BIG = 1009;
const TRY_AGAIN_LATER = 1013;
const INTERNAL_ERROR = 1011;

/** 1 MiB unread: far above a healthy client's backlog (answers are < 1 KiB), and it caps what one reader can pin. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

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

  constructor(
    private readonly socket: SessionSocket,
    /** This socket's network key (network-key.ts), fixed at connection time. */
    private readonly networkKey: string,
    private readonly deps: SessionDeps,
    /** The id the socket proved to signalling: the only id this session can join as. */
    private readonly ownerId: string,
  ) {
    this.#bucket = new TokenBucket(deps.options.ratePerSecond, deps.options.rateBurst, deps.now());
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
  }

  /** Answers `error {code}`, closes the socket with the matching close code, and forgets the peer. */
  fail(code: ErrorCode): void {
    if (!this.#open) return;
    // The error frame goes even past the backlog cap: it is the last thing this socket gets.
    this.socket.send(JSON.stringify({ type: 'error', code, message: ERROR_CATALOGUE[code].summary } satisfies TrackerServerMessage));
    this.socket.close(closeCodeFor(code), code);
    this.dispose();
  }

  /** Removes the peer and everything it announced; idempotent (close and fail both call it). */
  dispose(): void {
    this.#open = false;
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
    this.sendText(JSON.stringify(message));
  }

  #handle(message: TrackerClientMessage): void {
    if (message.type === 'ping') return this.#send({ type: 'pong' });
    if (message.type === 'join') return this.#join(message.peerId ?? this.ownerId, message.site, message.region);
    const peer = this.#peer;
    if (!peer) return this.fail('TRACKER_NOT_JOINED');
    const { store, options } = this.deps;
    switch (message.type) {
      case 'have':
        this.deps.availability?.changed(peer.site, message.hashes);
        // The store counts after adding, so a re-announce of held hashes never trips the cap;
        // a peer that crosses it is closed and all it announced goes with it (in fail → dispose).
        if (store.have(peer.site, peer.peerId, message.hashes) > options.maxHavePerPeer) this.fail('TRACKER_TOO_MANY_HASHES');
        return;
      case 'lost':
        this.deps.availability?.changed(peer.site, message.hashes);
        return store.lost(peer.site, peer.peerId, message.hashes);
      case 'want': {
        const picked = pickPeers(store.holders(peer.site, message.hash), peer, options.maxPeersPerAnswer, this.deps.rng, (id) =>
          store.isQuarantined(id),
        );
        const answer = { type: 'peers', hash: message.hash, peers: picked.map((p) => p.peerId), holders: store.holderCount(peer.site, message.hash) } as const;
        return this.#send(message.requestId === undefined ? answer : { ...answer, requestId: message.requestId });
      }
      case 'report':
        return this.#report(peer, message.peerId);
      case 'stats':
        return this.#stats(peer, message.peer, message.cache, message.origin, message.upload ?? 0);
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
    const manifestVersion = this.deps.manifestVersion();
    this.#send(manifestVersion === undefined ? { type: 'joined', peerId } : { type: 'joined', peerId, manifestVersion });
    // Right after `joined`: the site's full availability snapshot, then its deltas.
    this.deps.availability?.join(this, site);
  }

  #report(reporter: PeerRecord, accused: string): void {
    const { store, options } = this.deps;
    // Ignored rather than refused: a report about a peer that just left is normal. Only peers in the
    // reporter's own swarm can be accused (an unknown id costs nothing to remember), and a
    // quarantined peer's word does not count (it cannot drag honest peers down with it).
    if (accused === reporter.peerId || store.isQuarantined(reporter.peerId) || !store.getPeer(reporter.site, accused)) return;
    if (store.report(accused, reporter.peerId) >= options.quarantineReports) store.quarantine(accused);
  }

  #stats(peer: PeerRecord, fromPeers: number, fromCache: number, fromOrigin: number, uploaded: number): void {
    const { bytes, store } = this.deps;
    bytes.peer += fromPeers;
    bytes.cache += fromCache;
    bytes.origin += fromOrigin;
    if (uploaded === 0) return;
    peer.uploadScore = addUpload(peer.uploadScore, uploaded, this.deps.now());
    store.setUploadScore(peer.site, peer.peerId, peer.uploadScore);
  }
}
