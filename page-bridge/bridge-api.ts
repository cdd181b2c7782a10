/**
 * The BridgeApi the SW calls over Comlink (and tests call as `swarm.bridge`). getChunk asks the
 * tracker who holds the file, tries a few of them — peers with an open connection first, then new
 * connections — and returns the first chunk that arrives whole, transferred (not copied). Nothing
 * here throws for an expected failure: it answers `{ ok: false, code }`. Arguments come from
 * another realm, so they are checked before use.
 */
import * as Comlink from 'comlink';
import { isErrorCode, type ErrorCode } from '../protocol/errors.js';
import { isSha256Sri } from '../protocol/manifest/manifest.js';
import { MAX_CHUNK_SIZE, type Sha256Sri } from '../protocol/manifest/types.js';
import type { BridgeApi, ByteCounts, ChunkRequest, ChunkResult } from '../protocol/messages/sw-page.js';
import { TRACKER_LIMITS } from '../protocol/messages/tracker.js';
import type { RequestResult } from './peer-session.js';
import { WARM_FILES, warmHolders } from './warm-up.js';

/** Peers tried for one chunk before the SW is told to use the origin: each failure costs up to a connect timeout or a stall. */
export const MAX_ATTEMPTS_PER_CHUNK = 3;
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
  const { id, file, chunk, size, exclude } = request as Record<string, unknown>;
  return (
    isCount(id) &&
    isSha256Sri(file) &&
    isSha256Sri(chunk) &&
    isCount(size) &&
    size > 0 &&
    size <= MAX_CHUNK_SIZE &&
    (exclude === undefined || (Array.isArray(exclude) && exclude.length <= MAX_EXCLUDE && exclude.every((p) => typeof p === 'string')))
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

/** Builds the bridge over a pool and a tracker client. */
export function createBridgeApi(pool: BridgePool, tracker: BridgeTracker): PageBridge {
  const inFlight = new Map<number, AbortController>();
  let disposed = false;

  /** Holders to try, in order: not excluded, not dropped, not us; open connections first (no set-up cost). */
  function candidates(holders: readonly string[], exclude: readonly string[] = []): string[] {
    const usable = holders.filter((p) => p !== pool.peerId && !exclude.includes(p) && !pool.isDropped(p));
    const open = usable.filter((p) => pool.hasOpenSession(p));
    return [...open, ...usable.filter((p) => !open.includes(p))].slice(0, MAX_ATTEMPTS_PER_CHUNK);
  }

  async function fetchChunk(request: ChunkRequest, signal: AbortSignal): Promise<ChunkResult> {
    const holders = await tracker.want(request.file);
    if (signal.aborted) return { ok: false, code: 'REQUEST_CANCELLED' };
    let code: ErrorCode = 'PEER_NONE';
    for (const peerId of candidates(holders, request.exclude)) {
      if (signal.aborted) return { ok: false, code: 'REQUEST_CANCELLED' };
      const connected = await pool.connect(peerId, signal);
      if (!connected.ok) {
        code = connected.code;
        continue;
      }
      const result = await connected.session.request(request.chunk, request.size, signal);
      if (result.ok) {
        // Counted before the SW checks it: a chunk that fails is reported, and the report drops this count.
        tracker.received?.(peerId, result.bytes.byteLength);
        return Comlink.transfer({ ok: true, bytes: result.bytes, peerId }, [result.bytes]);
      }
      code = result.code;
      if (code === 'REQUEST_CANCELLED') break;
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
