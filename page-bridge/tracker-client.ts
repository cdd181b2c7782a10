/**
 * The page's side of the tracker protocol, carried by the page's signalling (PeerJS) socket: one
 * WebSocket per page, and the server knows the tracker peer is the id that socket proved. On every
 * (re)open of that socket the client joins; it announces what the SW holds (`have`/`lost`,
 * batched), asks who holds a file (`want` → `peers`, answers cached ~2 s and shared by concurrent
 * askers), reports a peer whose chunk failed verification, and forwards byte stats with the bytes
 * received from each peer (`from`: the tracker ranks uploaders by what receivers say, never by
 * their own word). A `manifest`
 * push is handed on (the SW refetches), and so are `availability` pushes (holder counts). The
 * socket's reconnects are the peer pool's (with backoff); after each, the held set is announced
 * again. Outgoing messages are paced under the server's rate limit (exceeding it closes the
 * socket). Every frame the server sends goes through parseTrackerServerMessage; one that does not
 * parse is ignored.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';
import type { ByteCounts } from '../protocol/messages/sw-page.js';
import { TRACKER_LIMITS, parseTrackerServerMessage, type TrackerClientMessage } from '../protocol/messages/tracker.js';
import { TRACKER_DEFAULTS } from '../protocol/wire.js';
import { HolderCache } from './holder-cache.js';
import { MostHeld } from './most-held.js';
import type { SwarmConfig } from './options.js';
import { PacedOutbox } from './paced-outbox.js';
import { deferred } from './wait.js';

/** The slice of the options the tracker client uses. */
export type TrackerConfig = Pick<SwarmConfig, 'region'>;

/** Where tracker messages go: the page's signalling socket (the peer pool's). */
export interface TrackerChannel {
  /** Sends one message; false when the socket is not open (the message is not sent). */
  send(message: TrackerClientMessage): boolean;
}

/** What the tracker client needs from the page around it. */
export interface TrackerDeps {
  readonly channel: TrackerChannel;
  /** The page's origin: the swarm it joins. */
  readonly site: string;
  /** The tracker pushed a new manifest version. */
  readonly onManifest: (version: number) => void;
  /** The tracker pushed holder counts (`full` replaces the view, else a delta); handed on to the SW. */
  readonly onAvailability?: (full: boolean, files: Readonly<Record<Sha256Sri, number>>) => void;
}

/** A `want` unanswered after this long counts as no holders: the SW's own wait is about as short. */
export const WANT_TIMEOUT_MS = 2_000;
/** Stats are summed and sent at most this often (each message counts against the rate limit). */
const STATS_INTERVAL_MS = 5_000;
/** 80 % of the server's default rate and half its burst (40/s, 100 at once), so pacing here never trips it. */
const SEND_RATE = TRACKER_DEFAULTS.ratePerSecond * 0.8;
const SEND_BURST = TRACKER_DEFAULTS.rateBurst / 2;
/** Messages waiting for the socket or the rate; beyond it a message is dropped (a want then times out). */
const MAX_OUTBOX = 2_048;
/** Files this page announces at most: the server's default cap per peer. */
const MAX_HELD = TRACKER_DEFAULTS.maxHavePerPeer;
/** Senders whose bytes wait for the next stats: the server takes at most this many per message. */
const MAX_SENDERS = TRACKER_LIMITS.maxStatsSenders;

/** Splits a list into messages of at most maxHashesPerMessage hashes. */
export function hashBatches(hashes: readonly Sha256Sri[], max: number = TRACKER_LIMITS.maxHashesPerMessage): Sha256Sri[][] {
  const batches: Sha256Sri[][] = [];
  for (let i = 0; i < hashes.length; i += max) batches.push(hashes.slice(i, i + max));
  return batches;
}

interface Want {
  readonly file: Sha256Sri;
  readonly done: (peers: readonly string[]) => void;
}

/** The page's tracker client, for the page's life. */
export class TrackerClient {
  readonly #config: TrackerConfig;
  readonly #deps: TrackerDeps;
  readonly #held = new Set<Sha256Sri>();
  readonly #mostHeld = new MostHeld();
  /** False while this visitor does not upload (upload-policy.ts): held files are kept, not announced. */
  #seeding = true;
  readonly #holders = new HolderCache();
  readonly #wants = new Map<number, Want>();
  readonly #asking = new Map<Sha256Sri, Promise<readonly string[]>>();
  readonly #outbox = new PacedOutbox<TrackerClientMessage>(SEND_RATE, SEND_BURST, MAX_OUTBOX, () =>
    this.#joined ? (message: TrackerClientMessage) => void this.#deps.channel.send(message) : undefined,
  );
  readonly #joinedOnce = deferred<void>();
  #stats = { peer: 0, cache: 0, origin: 0 };
  /** Bytes received per sending peer since the last stats. */
  readonly #from = new Map<string, number>();
  #joined = false;
  #requestIds = 0;
  #stopped = false;
  readonly #ticker: ReturnType<typeof setInterval>;

  constructor(config: TrackerConfig, deps: TrackerDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#ticker = setInterval(() => this.#flushStats(), STATS_INTERVAL_MS);
  }

  /** Resolves when the tracker first answered `joined` (never rejects). */
  get joined(): Promise<void> {
    return this.#joinedOnce.promise;
  }

  /** True while joined. */
  get isJoined(): boolean {
    return this.#joined;
  }

  /**
   * The signalling socket (re)opened: join on it. The server takes the id the socket proved, so
   * the join names no id; a new peer (a new id) is a new socket, and a new session.
   */
  connected(): void {
    if (this.#stopped) return;
    // A socket that reopened without a drop heard: what was asked on the old one is void. Wants
    // queued before the first join are kept: they go out once joined.
    if (this.#joined) this.#lostSocket();
    const region = this.#config.region;
    const join: TrackerClientMessage = { type: 'join', site: this.#deps.site, ...(region === undefined ? {} : { region }) };
    this.#outbox.charge();
    this.#deps.channel.send(join);
  }

  /** The signalling socket dropped: what was queued and asked was for it. */
  disconnected(): void {
    this.#lostSocket();
  }

  /** Files now held: announced now if joined, and after every (re)join. */
  have(files: readonly Sha256Sri[]): void {
    const fresh: Sha256Sri[] = [];
    for (const file of files) {
      if (this.#held.has(file) || this.#held.size >= MAX_HELD) continue;
      this.#held.add(file);
      fresh.push(file);
    }
    if (this.#joined && this.#seeding) for (const hashes of hashBatches(fresh)) this.#enqueue({ type: 'have', hashes });
  }

  /** Files no longer held. */
  lost(files: readonly Sha256Sri[]): void {
    const gone = files.filter((f) => this.#held.delete(f));
    if (this.#joined && this.#seeding) for (const hashes of hashBatches(gone)) this.#enqueue({ type: 'lost', hashes });
  }

  /**
   * Whether the tracker lists this visitor as a holder: off withdraws every held file (`lost`), on
   * announces them again. Holders that upload nothing would only cost askers a round trip each.
   */
  setSeeding(on: boolean): void {
    if (on === this.#seeding) return;
    this.#seeding = on;
    if (this.#joined) for (const hashes of hashBatches([...this.#held])) this.#enqueue({ type: on ? 'have' : 'lost', hashes });
  }

  /**
   * The pool's last resort for peers (pool-keeper.ts): who holds the site's most held file, as the
   * availability pushes said. [] before the join (a `want` then would wait for it), when nothing is
   * held, or with no answer in time.
   */
  rescueHolders(random: () => number = Math.random): Promise<readonly string[]> {
    const file = this.#mostHeld.pick(random);
    return this.#joined && file ? this.want(file) : Promise.resolve([]);
  }

  /** Who holds `file` (nearest first), from a fresh cached answer or the tracker; [] when nobody or no answer in time. */
  want(file: Sha256Sri): Promise<readonly string[]> {
    const cached = this.#holders.get(file);
    if (cached) return Promise.resolve(cached);
    const asking = this.#asking.get(file);
    if (asking) return asking;
    const answer = new Promise<readonly string[]>((resolve) => {
      const requestId = ++this.#requestIds;
      const timer = setTimeout(() => done([]), WANT_TIMEOUT_MS);
      const done = (peers: readonly string[]): void => {
        clearTimeout(timer);
        this.#wants.delete(requestId);
        resolve(peers);
      };
      this.#wants.set(requestId, { file, done });
      this.#enqueue({ type: 'want', hash: file, requestId });
    }).finally(() => this.#asking.delete(file));
    this.#asking.set(file, answer);
    return answer;
  }

  /** A peer sent bytes of `file` that failed verification: reported, and none of its bytes are vouched for. */
  report(peerId: string, file: Sha256Sri): void {
    this.#holders.forgetPeer(peerId);
    this.#from.delete(peerId);
    this.#enqueue({ type: 'report', peerId, hash: file });
  }

  /** Forgets a peer in the cached answers (it was dropped). */
  forgetPeer(peerId: string): void {
    this.#holders.forgetPeer(peerId);
  }

  /**
   * Adds byte deltas to the next stats message. `upload` is not sent: the tracker ranks a peer by
   * what its receivers report (`stats.from`), never by its own word.
   */
  addStats(delta: ByteCounts): void {
    this.#stats.peer += delta.peer;
    this.#stats.cache += delta.cache;
    this.#stats.origin += delta.origin;
  }

  /** A whole chunk of `bytes` arrived from `peerId`: told to the tracker in the next stats, as this page's word for that peer. */
  received(peerId: string, bytes: number): void {
    if (bytes <= 0) return;
    const sofar = this.#from.get(peerId);
    // Past MAX_SENDERS peers in one interval (a page connects to 8), the newcomers' bytes go unsaid.
    if (sofar === undefined && this.#from.size >= MAX_SENDERS) return;
    this.#from.set(peerId, Math.min((sofar ?? 0) + bytes, TRACKER_LIMITS.maxStatsDelta));
  }

  /** Stops for good (the socket is the peer pool's to close). */
  close(): void {
    this.#stopped = true;
    clearInterval(this.#ticker);
    this.#outbox.stop();
    this.#lostSocket();
  }

  /** Handles one tracker frame from the socket (the value peerjs parsed); true once it was `joined`. */
  receive(data: unknown): boolean {
    if (this.#stopped) return false;
    return this.#receive(data);
  }

  #receive(data: unknown): boolean {
    const parsed = parseTrackerServerMessage(data);
    if (!parsed.ok) return false;
    const message = parsed.value;
    switch (message.type) {
      case 'joined':
        this.#joined = true;
        // The held set goes first, ahead of anything queued while the socket was down.
        if (this.#seeding) this.#outbox.pushFront(hashBatches([...this.#held]).map((hashes): TrackerClientMessage => ({ type: 'have', hashes })));
        this.#joinedOnce.resolve();
        return true;
      case 'peers': {
        const want = message.requestId === undefined ? undefined : this.#wants.get(message.requestId);
        this.#holders.set(message.hash, message.peers);
        if (want && want.file === message.hash) want.done(message.peers);
        return false;
      }
      case 'manifest':
        this.#deps.onManifest(message.version);
        return false;
      case 'availability':
        this.#mostHeld.apply(message.full, message.files);
        this.#deps.onAvailability?.(message.full, message.files);
        return false;
      case 'error':
        // The server closes the socket after an error; the peer pool reconnects it.
        console.warn(`swarmcdn: tracker error ${message.code}`);
        return false;
      case 'pong':
        return false;
    }
  }

  #lostSocket(): void {
    this.#joined = false;
    // What was queued was for that socket: the held set is announced again on the next join.
    this.#outbox.clear();
    this.#holders.clear();
    for (const want of [...this.#wants.values()]) want.done([]);
  }

  #enqueue(message: TrackerClientMessage, front = false): void {
    if (!this.#stopped) this.#outbox.push(message, front);
  }

  #flushStats(): void {
    const { peer, cache, origin } = this.#stats;
    if ((peer + cache + origin === 0 && this.#from.size === 0) || !this.#joined) return;
    // One message carries at most maxStatsDelta per field (the server refuses more); the rest waits.
    const max = TRACKER_LIMITS.maxStatsDelta;
    const sent = { peer: Math.min(peer, max), cache: Math.min(cache, max), origin: Math.min(origin, max) };
    this.#stats = { peer: peer - sent.peer, cache: cache - sent.cache, origin: origin - sent.origin };
    // Sent once: bytes from a peer belong to the interval they arrived in (the server credits per interval).
    const from = this.#from.size === 0 ? undefined : Object.fromEntries(this.#from);
    this.#from.clear();
    this.#enqueue(from === undefined ? { type: 'stats', ...sent } : { type: 'stats', ...sent, from });
  }
}
