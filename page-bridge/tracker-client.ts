/**
 * The page's side of the tracker protocol, on its own WebSocket (ws(s)://server/swarmcdn/tracker):
 * join with the PeerJS id, announce what the SW holds (`have`/`lost`, batched), ask who holds a
 * file (`want` → `peers`, answers cached ~2 s and shared by concurrent askers), report a peer whose
 * chunk failed verification, forward byte stats, and ping within the server's alive timeout. A
 * `manifest` push is handed on (the SW refetches). The socket comes back after a drop with a capped
 * backoff, and the held set is announced again. `availability` pushes (holder counts) are handed to
 * the SW the same way. Outgoing messages are paced under the server's
 * rate limit (exceeding it closes the socket). Every frame the server sends goes through
 * parseTrackerServerMessage; one that does not parse is ignored.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';
import type { ByteCounts } from '../protocol/messages/sw-page.js';
import { TRACKER_LIMITS, parseTrackerServerMessage, type TrackerClientMessage } from '../protocol/messages/tracker.js';
import { backoffDelay } from './backoff.js';
import { HolderCache } from './holder-cache.js';
import type { SwarmConfig } from './options.js';
import { PacedOutbox } from './paced-outbox.js';
import { deferred } from './wait.js';

/** The slice of the options the tracker client uses. */
export type TrackerConfig = Pick<SwarmConfig, 'server' | 'region'>;

/** What the tracker client needs from the page around it. */
export interface TrackerDeps {
  /** The page's origin: the swarm it joins. */
  readonly site: string;
  /** The tracker pushed a new manifest version. */
  readonly onManifest: (version: number) => void;
  /** The tracker pushed holder counts (`full` replaces the view, else a delta); handed on to the SW. */
  readonly onAvailability?: (full: boolean, files: Readonly<Record<Sha256Sri, number>>) => void;
  /** Upload bytes not yet reported (added to each stats message). */
  readonly takeUpload: () => number;
  readonly WebSocket?: typeof WebSocket;
}

const TRACKER_PATH = '/swarmcdn/tracker';
/** A `want` unanswered after this long counts as no holders: the SW's own wait is about as short. */
export const WANT_TIMEOUT_MS = 2_000;
/** 20 s: well inside the server's alive timeout (90 s by default) even when a ping is delayed. */
const PING_INTERVAL_MS = 20_000;
/** Stats are summed and sent at most this often (each message counts against the rate limit). */
const STATS_INTERVAL_MS = 5_000;
/** A socket that has not joined within this time is closed and tried again. */
const JOIN_TIMEOUT_MS = 10_000;
/** 40 messages/s, 100 at once: under the server's default 50/s and 200 burst, so pacing here never trips it. */
const SEND_RATE = 40;
const SEND_BURST = 100;
/** Messages waiting for the socket or the rate; beyond it a message is dropped (a want then times out). */
const MAX_OUTBOX = 2_048;
/** Hashes this page announces at most: the server's default cap per peer. */
const MAX_HELD = 100_000;

/** The tracker's WebSocket URL for a server base URL. */
export function trackerUrl(server: string): string {
  return `${server.replace(/^http/, 'ws')}${TRACKER_PATH}`;
}

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

/** One tracker connection, kept alive for the page's life. */
export class TrackerClient {
  readonly #config: TrackerConfig;
  readonly #deps: TrackerDeps;
  readonly #held = new Set<Sha256Sri>();
  readonly #holders = new HolderCache();
  readonly #wants = new Map<number, Want>();
  readonly #asking = new Map<Sha256Sri, Promise<readonly string[]>>();
  readonly #outbox = new PacedOutbox(SEND_RATE, SEND_BURST, MAX_OUTBOX, () => {
    const ws = this.#socket;
    return ws && ws.readyState === 1 && this.#joined ? (text: string) => ws.send(text) : undefined;
  });
  readonly #joinedOnce = deferred<void>();
  #stats = { peer: 0, cache: 0, origin: 0, upload: 0 };
  #socket: WebSocket | undefined;
  #peerId: string | undefined;
  #joined = false;
  #requestIds = 0;
  #attempt = 0;
  #stopped = false;
  #reconnect: ReturnType<typeof setTimeout> | undefined;
  readonly #ticker: ReturnType<typeof setInterval>;

  constructor(config: TrackerConfig, deps: TrackerDeps) {
    this.#config = config;
    this.#deps = deps;
    let sinceStats = 0;
    this.#ticker = setInterval(() => {
      sinceStats += STATS_INTERVAL_MS;
      this.#flushStats();
      if (sinceStats >= PING_INTERVAL_MS) {
        sinceStats = 0;
        if (this.#socket?.readyState === 1) this.#enqueue({ type: 'ping' }, true);
      }
    }, STATS_INTERVAL_MS);
  }

  /** Resolves when the tracker first answered `joined` (never rejects). */
  get joined(): Promise<void> {
    return this.#joinedOnce.promise;
  }

  /** True while joined. */
  get isJoined(): boolean {
    return this.#joined;
  }

  /** Joins as `peerId`; a new id (the peer was recreated) rejoins on a fresh socket. */
  join(peerId: string): void {
    if (this.#stopped || peerId === this.#peerId) return;
    const first = this.#peerId === undefined;
    this.#peerId = peerId;
    // The first id on a socket preconnect() opened: join on it (now, or when it opens).
    if (first && this.#socket && this.#socket.readyState <= 1) {
      if (this.#socket.readyState === 1) this.#sendJoin(this.#socket, peerId);
      return;
    }
    const previous = this.#socket;
    this.#lostSocket();
    previous?.close();
    this.#open();
  }

  /**
   * Opens the socket before the peer has its id, so the WebSocket handshake runs beside PeerJS's
   * own start instead of after it: the join goes out the moment `join` names the id.
   */
  preconnect(): void {
    if (!this.#stopped && !this.#socket && this.#peerId === undefined) this.#open();
  }

  /** Files now held: announced now if joined, and after every (re)join. */
  have(files: readonly Sha256Sri[]): void {
    const fresh: Sha256Sri[] = [];
    for (const file of files) {
      if (this.#held.has(file) || this.#held.size >= MAX_HELD) continue;
      this.#held.add(file);
      fresh.push(file);
    }
    if (this.#joined) for (const hashes of hashBatches(fresh)) this.#enqueue({ type: 'have', hashes });
  }

  /** Files no longer held. */
  lost(files: readonly Sha256Sri[]): void {
    const gone = files.filter((f) => this.#held.delete(f));
    if (this.#joined) for (const hashes of hashBatches(gone)) this.#enqueue({ type: 'lost', hashes });
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

  /** A peer sent bytes of `file` that failed verification. */
  report(peerId: string, file: Sha256Sri): void {
    this.#holders.forgetPeer(peerId);
    this.#enqueue({ type: 'report', peerId, hash: file });
  }

  /** Forgets a peer in the cached answers (it was dropped). */
  forgetPeer(peerId: string): void {
    this.#holders.forgetPeer(peerId);
  }

  /** Adds byte deltas to the next stats message. */
  addStats(delta: ByteCounts): void {
    this.#stats.peer += delta.peer;
    this.#stats.cache += delta.cache;
    this.#stats.origin += delta.origin;
    this.#stats.upload += delta.upload;
  }

  /** Closes the socket for good. */
  close(): void {
    this.#stopped = true;
    clearInterval(this.#ticker);
    clearTimeout(this.#reconnect);
    this.#outbox.stop();
    this.#socket?.close();
    this.#lostSocket();
  }

  #open(): void {
    if (this.#stopped) return;
    clearTimeout(this.#reconnect);
    const Socket = this.#deps.WebSocket ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Socket(trackerUrl(this.#config.server));
    } catch {
      return this.#retryLater();
    }
    this.#socket = ws;
    const joinTimer = setTimeout(() => ws.close(), JOIN_TIMEOUT_MS);
    ws.onopen = () => {
      // Opened ahead of the id (preconnect): join() sends the join when the id comes.
      if (this.#peerId !== undefined) this.#sendJoin(ws, this.#peerId);
    };
    ws.onmessage = (event: MessageEvent) => {
      if (this.#socket !== ws) return;
      if (this.#receive(event.data)) clearTimeout(joinTimer);
    };
    ws.onclose = () => {
      clearTimeout(joinTimer);
      if (this.#socket !== ws) return;
      this.#lostSocket();
      this.#retryLater();
    };
  }

  #sendJoin(ws: WebSocket, peerId: string): void {
    const region = this.#config.region;
    const join: TrackerClientMessage = { type: 'join', peerId, site: this.#deps.site, ...(region === undefined ? {} : { region }) };
    this.#outbox.charge();
    ws.send(JSON.stringify(join));
  }

  /** Handles one server frame; true once it was `joined`. */
  #receive(data: unknown): boolean {
    const parsed = parseTrackerServerMessage(typeof data === 'string' ? data : '');
    if (!parsed.ok) return false;
    const message = parsed.value;
    switch (message.type) {
      case 'joined':
        this.#joined = true;
        this.#attempt = 0;
        // The held set goes first, ahead of anything queued while the socket was down.
        this.#outbox.pushFront(hashBatches([...this.#held]).map((hashes) => JSON.stringify({ type: 'have', hashes })));
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
        this.#deps.onAvailability?.(message.full, message.files);
        return false;
      case 'error':
        // The server closes the socket after an error; onclose reconnects.
        console.warn(`swarmcdn: tracker error ${message.code}`);
        return false;
      case 'pong':
        return false;
    }
  }

  #lostSocket(): void {
    this.#socket = undefined;
    this.#joined = false;
    // What was queued was for that socket: the held set is announced again on the next join.
    this.#outbox.clear();
    this.#holders.clear();
    for (const want of [...this.#wants.values()]) want.done([]);
  }

  #retryLater(): void {
    if (this.#stopped) return;
    clearTimeout(this.#reconnect);
    this.#reconnect = setTimeout(() => this.#open(), backoffDelay(this.#attempt++));
  }

  #enqueue(message: TrackerClientMessage, front = false): void {
    if (!this.#stopped) this.#outbox.push(JSON.stringify(message), front);
  }

  #flushStats(): void {
    this.#stats.upload += this.#deps.takeUpload();
    const { peer, cache, origin, upload } = this.#stats;
    if (peer + cache + origin + upload === 0 || !this.#joined) return;
    // One message carries at most maxStatsDelta per field (the server refuses more); the rest waits.
    const max = TRACKER_LIMITS.maxStatsDelta;
    const sent = { peer: Math.min(peer, max), cache: Math.min(cache, max), origin: Math.min(origin, max), upload: Math.min(upload, max) };
    this.#stats = { peer: peer - sent.peer, cache: cache - sent.cache, origin: origin - sent.origin, upload: upload - sent.upload };
    this.#enqueue({ type: 'stats', ...sent });
  }
}
