/**
 * The BridgeApi the SW calls over Comlink (and tests call as `swarm.bridge`). getChunk asks the
 * tracker who holds the file and sends each request to the holder that should answer it soonest
 * (peer-scores.ts: measured pace and RTT, a window per peer, set-up cost of a new connection), so
 * the chunks of one file come from several holders at once; on a failure it moves to the next best,
 * a few at most, and a `busy` holder with nobody else left is asked again while we wait. A `hedge`
 * request (the SW's end game) goes only to a holder not already sending that chunk. The first
 * chunk that arrives whole is returned, transferred (not copied). Nothing here throws for an
 * expected failure: it answers `{ ok: false, code }`. Arguments come from another realm, so they
 * are checked before use.
 */
import * as Comlink from 'comlink';
import { isErrorCode, type ErrorCode } from '../protocol/errors.js';
import { isSha256Sri } from '../protocol/manifest/manifest.js';
import { MAX_CHUNK_SIZE, type Sha256Sri } from '../protocol/manifest/types.js';
import type { BridgeApi, ByteCounts, ChunkRequest, ChunkResult } from '../protocol/messages/sw-page.js';
import { TRACKER_LIMITS } from '../protocol/messages/tracker.js';
import { PageCounters } from './counters.js';
import type { RequestResult } from './peer-session.js';
import { PeerScores } from './peer-scores.js';
import { WARM_FILES, warmHolders } from './warm-up.js';

/** Peers tried for one chunk before the SW is told to use the origin: each failure costs up to a connect timeout or a stall. */
export const MAX_ATTEMPTS_PER_CHUNK = 3;
/**
 * A holder that answers `busy` (its upload slots go to others, or its channel is full) when no other
 * holder is left to try is asked again, once one of our answers from it arrives whole (a slot of
 * ours there is free), for this long at most: busy is late, not failed, and the SW's hedges (first
 * byte, stall, rate) decide sooner whether the origin takes over.
 */
export const BUSY_PATIENCE_MS = 3_000;
/** Without such an answer, the next ask goes this long after the last (a few asks a second per waiting request). */
const BUSY_RETRY_MS = 200;
/** Requests the SW may have in flight at once through this bridge; more answer PEER_BUSY at once. */
const MAX_IN_FLIGHT = 256;
/** Peer ids in one `exclude` list (a file has failed with a few peers, not hundreds). */
const MAX_EXCLUDE = 64;
/** Files in one announce/withdraw call: the tracker client batches them again per message. */
const MAX_FILES_PER_CALL = 100_000;

/** The pool operations the bridge uses. */
export interface BridgePool {
  readonly peerId: string | undefined;
  isDropped(peerId: string): boolean;
  hasOpenSession(peerId: string): boolean;
  connect(peerId: string, signal?: AbortSignal): Promise<{ readonly ok: true; readonly session: ChunkSource } | { readonly ok: false; readonly code: ErrorCode }>;
  drop(peerId: string, code: ErrorCode): void;
}

/** What the bridge asks of a connected peer (a PeerSession). */
export interface ChunkSource {
  request(chunk: Sha256Sri, size: number, signal?: AbortSignal): Promise<RequestResult>;
  /** Resolves when an answer of ours from this peer arrives whole, after `maxMs` at most, or on abort or close. */
  answerEnded(maxMs: number, signal?: AbortSignal): Promise<void>;
}

/** The tracker operations the bridge uses. */
export interface BridgeTracker {
  want(file: Sha256Sri): Promise<readonly string[]>;
  have(files: readonly Sha256Sri[]): void;
  lost(files: readonly Sha256Sri[]): void;
  report(peerId: string, file: Sha256Sri): void;
  forgetPeer(peerId: string): void;
  addStats(delta: ByteCounts): void;
  /** A whole chunk of `bytes` came from `peerId` (the tracker ranks uploaders by what receivers report). */
  received?(peerId: string, bytes: number): void;
}

/** The BridgeApi (exactly its methods: the object is exposed to the SW as is) and the page's switch to shut it down. */
export interface PageBridge {
  readonly api: BridgeApi;
  /** Cancels everything in flight; later getChunk calls answer PEER_NONE. */
  dispose(): void;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function validRequest(request: unknown): request is ChunkRequest {
  if (typeof request !== 'object' || request === null) return false;
  const { id, file, chunk, size, exclude, hedge } = request as Record<string, unknown>;
  return (
    isCount(id) &&
    isSha256Sri(file) &&
    isSha256Sri(chunk) &&
    isCount(size) &&
    size > 0 &&
    size <= MAX_CHUNK_SIZE &&
    (exclude === undefined || (Array.isArray(exclude) && exclude.length <= MAX_EXCLUDE && exclude.every((p) => typeof p === 'string'))) &&
    (hedge === undefined || typeof hedge === 'boolean')
  );
}

function validFiles(files: unknown): files is readonly Sha256Sri[] {
  return Array.isArray(files) && files.length <= MAX_FILES_PER_CALL && files.every(isSha256Sri);
}

function validDelta(delta: unknown): delta is ByteCounts {
  if (typeof delta !== 'object' || delta === null) return false;
  const { peer, cache, origin, upload } = delta as Record<string, unknown>;
  return [peer, cache, origin, upload].every((n) => isCount(n) && n <= TRACKER_LIMITS.maxStatsDelta);
}

/**
 * Builds the bridge over a pool and a tracker client. `counters` gets the bytes received from each
 * peer (`bytesByPeer`); `scores` is where each request goes (tests pass their own clock).
 */
export function createBridgeApi(pool: BridgePool, tracker: BridgeTracker, counters = new PageCounters(), scores = new PeerScores(), busyPatienceMs = BUSY_PATIENCE_MS): PageBridge {
  const inFlight = new Map<number, AbortController>();
  /** Chunk → peers sending it to us now, by request id (a hedge goes elsewhere). */
  const sending = new Map<Sha256Sri, Map<number, string>>();
  let disposed = false;

  /** Holders to try: not excluded, not dropped, not us, not tried yet for this request; for a hedge, not already sending the chunk. */
  function usable(holders: readonly string[], request: ChunkRequest, tried: readonly string[]): string[] {
    const busy = request.hedge ? [...(sending.get(request.chunk)?.values() ?? [])] : [];
    return holders.filter((p) => p !== pool.peerId && !request.exclude?.includes(p) && !tried.includes(p) && !busy.includes(p) && !pool.isDropped(p));
  }

  function markSending(request: ChunkRequest, peerId: string): () => void {
    let peers = sending.get(request.chunk);
    if (!peers) sending.set(request.chunk, (peers = new Map()));
    peers.set(request.id, peerId);
    return () => {
      peers.delete(request.id);
      if (peers.size === 0 && sending.get(request.chunk) === peers) sending.delete(request.chunk);
    };
  }

  async function fetchChunk(request: ChunkRequest, signal: AbortSignal): Promise<ChunkResult> {
    const holders = await tracker.want(request.file);
    if (signal.aborted) return { ok: false, code: 'REQUEST_CANCELLED' };
    let code: ErrorCode = 'PEER_NONE';
    const tried: string[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS_PER_CHUNK; attempt++) {
      if (signal.aborted) return { ok: false, code: 'REQUEST_CANCELLED' };
      // Ranked afresh each attempt, and reserved before any await: concurrent requests see each other's choice.
      const peerId = scores.rank(usable(holders, request, tried), request.size, (p) => pool.hasOpenSession(p))[0];
      if (peerId === undefined) break;
      tried.push(peerId);
      const ticket = scores.reserve(peerId);
      const connected = await pool.connect(peerId, signal);
      if (!connected.ok) {
        code = connected.code;
        if (code === 'REQUEST_CANCELLED') scores.cancelled(ticket);
        else scores.failed(ticket);
        continue;
      }
      scores.started(ticket);
      const done = markSending(request, peerId);
      let result: RequestResult;
      try {
        const askedAt = Date.now();
        result = await connected.session.request(request.chunk, request.size, signal);
        while (!result.ok && result.code === 'PEER_BUSY' && Date.now() - askedAt < busyPatienceMs && usable(holders, request, tried).length === 0) {
          await connected.session.answerEnded(BUSY_RETRY_MS, signal);
          if (signal.aborted) {
            result = { ok: false, code: 'REQUEST_CANCELLED' };
            break;
          }
          result = await connected.session.request(request.chunk, request.size, signal);
        }
      } finally {
        done();
      }
      if (result.ok) {
        scores.answered(ticket, result.bytes.byteLength);
        counters.addReceived(peerId, result.bytes.byteLength);
        // Counted before the SW checks it: a chunk that fails is reported, and the report drops this count.
        tracker.received?.(peerId, result.bytes.byteLength);
        return Comlink.transfer({ ok: true, bytes: result.bytes, peerId }, [result.bytes]);
      }
      code = result.code;
      if (code === 'REQUEST_CANCELLED') {
        scores.cancelled(ticket);
        break;
      }
      scores.failed(ticket);
    }
    return { ok: false, code: signal.aborted ? 'REQUEST_CANCELLED' : code };
  }

  const api: BridgeApi = {
    async getChunk(request: ChunkRequest): Promise<ChunkResult> {
      if (disposed) return { ok: false, code: 'PEER_NONE' };
      if (!validRequest(request)) return { ok: false, code: 'REQUEST_INVALID' };
      if (inFlight.size >= MAX_IN_FLIGHT || inFlight.has(request.id)) return { ok: false, code: 'PEER_BUSY' };
      const controller = new AbortController();
      inFlight.set(request.id, controller);
      try {
        return await fetchChunk(request, controller.signal);
      } catch {
        // A bug must not reach the SW as a rejected call with a lost code; it falls back to the origin.
        return { ok: false, code: 'INTERNAL' };
      } finally {
        inFlight.delete(request.id);
      }
    },

    async cancelChunk(id: number): Promise<void> {
      inFlight.get(id)?.abort();
    },

    async reportPeer(peerId: string, file: Sha256Sri, code: ErrorCode): Promise<void> {
      if (typeof peerId !== 'string' || !isSha256Sri(file) || !isErrorCode(code)) return;
      pool.drop(peerId, code);
      tracker.forgetPeer(peerId);
      if (code === 'CHUNK_MISMATCH') tracker.report(peerId, file);
    },

    async announce(files: readonly Sha256Sri[]): Promise<void> {
      if (validFiles(files)) tracker.have(files);
    },

    async withdraw(files: readonly Sha256Sri[]): Promise<void> {
      if (validFiles(files)) tracker.lost(files);
    },

    async reportStats(delta: ByteCounts): Promise<void> {
      if (validDelta(delta)) tracker.addStats(delta);
    },

    async warm(files: readonly Sha256Sri[]): Promise<void> {
      if (disposed || !Array.isArray(files) || files.length > WARM_FILES || !files.every(isSha256Sri)) return;
      await warmHolders(files, {
        want: (file) => tracker.want(file),
        hasOpenSession: (peerId) => pool.hasOpenSession(peerId),
        isDropped: (peerId) => pool.isDropped(peerId),
        connect: (peerId) => pool.connect(peerId),
      });
    },
  };
  return {
    api: Object.freeze(api),
    dispose(): void {
      disposed = true;
      for (const controller of inFlight.values()) controller.abort();
    },
  };
}
