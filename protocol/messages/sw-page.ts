/**
 * Service worker ⇄ page bridge. The SW cannot hold WebRTC, so a page runs the bridge and lends it
 * to the SW: the page creates a MessageChannel, exposes a `BridgeApi` on one end with Comlink and
 * posts the other end to the SW (`swarmcdn/bridge`). The SW calls it; the page never calls the SW
 * through Comlink. Comlink drops custom error fields, so expected failures are `{ ok: false, code }`.
 *
 * Manifest relay: the SW hands its bridge the envelope it routes by (`swarmcdn/envelope`: asked
 * for with `swarmcdn/get-envelope`, and pushed on every switch); a bridge hands the SW an envelope
 * a peer relayed (`swarmcdn/peer-envelope`), which the SW verifies like the server's; one that is
 * forged or malformed comes back as `swarmcdn/peer-envelope-refused`, and the bridge drops the peer.
 *
 * Both sides also share one IndexedDB layout (`CACHE_STORES`): the SW is the only writer (it
 * verifies, stores and evicts); a bridge only reads chunk bytes to serve them to other peers.
 */
import { isErrorCode, type ErrorCode } from '../errors.js';
import { isSha256Sri } from '../manifest/manifest.js';
import type { Sha256Sri } from '../manifest/types.js';
import { SW_SETTING_BOUNDS, withinBounds } from '../wire.js';
import { MAX_RELAYED_ENVELOPE_BYTES } from './peer-manifest.js';
import { isPeerjsId } from './peerjs.js';

/** Bytes by where a visitor got them, and what it served to others (`upload`). */
export interface ByteCounts {
  readonly peer: number;
  readonly cache: number;
  readonly origin: number;
  readonly upload: number;
}

/** One chunk the SW wants from peers. */
export interface ChunkRequest {
  /** Chosen by the SW, unique among its requests in flight; `cancelChunk` names it. */
  readonly id: number;
  /** The file's SRI value: what the tracker knows holders by. */
  readonly file: Sha256Sri;
  /** The chunk's SRI value: what a peer is asked for (chunks are content-addressed). */
  readonly chunk: Sha256Sri;
  /** The chunk's length from the manifest: a peer that sends more is dropped. */
  readonly size: number;
  /** Peers not to ask: they already failed the SW for this file. */
  readonly exclude?: readonly string[];
  /**
   * A second ask for a chunk the SW already asked for and still awaits (the end game): only a
   * peer not already sending it to this bridge may take it; with none, PEER_NONE at once.
   */
  readonly hedge?: boolean;
}

/** A chunk's bytes from a named peer (not yet verified: the SW checks them), or why there are none. */
export type ChunkResult =
  | { readonly ok: true; readonly bytes: ArrayBuffer; readonly peerId: string }
  | { readonly ok: false; readonly code: ErrorCode };

/** What the SW calls on a page bridge. */
export interface BridgeApi {
  /** One chunk from some peer that holds the file; bytes transferred, not copied. */
  getChunk(request: ChunkRequest): Promise<ChunkResult>;
  /** The SW no longer wants request `id` (stalled, or the page went away): the peer is told. */
  cancelChunk(id: number): Promise<void>;
  /** A peer failed the SW (a chunk that does not hash, a stall): drop it, and report a bad chunk to the tracker. */
  reportPeer(peerId: string, file: Sha256Sri, code: ErrorCode): Promise<void>;
  /** Files now complete and verified in the cache: announce `have`. */
  announce(files: readonly Sha256Sri[]): Promise<void>;
  /** Files evicted from the cache: announce `lost`. */
  withdraw(files: readonly Sha256Sri[]): Promise<void>;
  /** Byte deltas since the last report (the bridge forwards them to the tracker's stats). */
  reportStats(delta: ByteCounts): Promise<void>;
  /** Files this page references that peers hold (at most 4): connect to their holders now, before the page asks. */
  warm(files: readonly Sha256Sri[]): Promise<void>;
}

/** What the SW counts, for the page's readout and for tests: bytes and requests by source. */
export interface SwStats {
  readonly bytes: ByteCounts;
  /** Manifest-path requests the SW answered, by where the body came from. */
  readonly responses: { readonly peer: number; readonly cache: number; readonly origin: number };
  /** Chunks from peers that failed verification (each dropped its peer). */
  readonly badChunks: number;
  /** Version of the manifest the SW serves with; 0 when it has none. */
  readonly manifestVersion: number;
  /** Manifests fetched and refused, by code (forged, rolled back, expired…). */
  readonly manifestRefusals: Readonly<Partial<Record<ErrorCode, number>>>;
  /** Where manifest-path requests were sent when they arrived: all cached, to peers, straight to the origin. */
  readonly routes: { readonly cache: number; readonly peers: number; readonly origin: number };
  /** Requests that waited on the swarm, and the milliseconds they waited in all (0 when the swarm was never waited for). */
  readonly swarmWait: { readonly requests: number; readonly ms: number };
  /** Origin failures (network error, 5xx, 404) answered from peers instead, and those peers could not save. */
  readonly originDown: { readonly rescued: number; readonly failed: number };
  /**
   * Files a prefetch fetched from peers and completed in the cache, the bytes prefetches fetched
   * (also counted in `bytes.peer`; a file a page took over midway counts its bytes, not the file;
   * one the pages' own requests completed meanwhile counts neither), files planned.
   */
  readonly prefetch: { readonly files: number; readonly bytes: number; readonly planned: number };
  /** The availability view: whether the SW has one, and how many files it says peers hold. */
  readonly availability: { readonly known: boolean; readonly files: number };
  /** Fetch events this SW run saw: navigations, swarmcdn's own routes, the rest (static routing keeps the first two away). */
  readonly fetchEvents: { readonly navigate: number; readonly swarmcdn: number; readonly other: number };
  /**
   * Responses sent to peers that handed the rest of their span to the origin, by why: no verified
   * bytes within the first-byte budget, peers slower than the origin (the rate hedge), a peer
   * failure (no bridge, no holder answered, a stall, a second bad chunk).
   */
  readonly handovers: { readonly firstByte: number; readonly rate: number; readonly peerFailed: number };
  /**
   * The cache: complete files (what this visitor serves and announces), and origin answers noted
   * for a copy into it that have not been copied yet (the copy waits for idle pages).
   */
  readonly held: { readonly files: number; readonly copying: number };
}

/** Settings a bridge hands the SW with its port (the SW enforces them: it owns the cache). */
export interface SwSettings {
  /** Cache bound in bytes (LRU beyond it). */
  readonly cacheBytes: number;
  /** A peer that sends nothing for this long is abandoned for the origin. */
  readonly stallMs: number;
  /** Bytes the SW may prefetch from peers for one page view (0: no prefetch). */
  readonly prefetchBytes: number;
  /** Requests needing fewer uncached bytes than this go to the origin rather than wait for a peer. */
  readonly minPeerBytes: number;
  /** A fixed budget for peers' first verified bytes before the origin takes over; 0: measured from the origin's latency. */
  readonly hedgeMs: number;
  /** Peers slower than the origin's measured pace hand it the rest of a file (sw/rate-hedge.ts). */
  readonly rateHedge: boolean;
}

/** SW → page. */
export type SwToPageMessage =
  /** The SW (re)started or has no bridge: send one. */
  | { readonly type: 'swarmcdn/hello' }
  /** The SW took this page's bridge, after its first manifest load finished (version 0: it has none). */
  | { readonly type: 'swarmcdn/bridge-ok'; readonly manifestVersion: number }
  | { readonly type: 'swarmcdn/stats'; readonly stats: SwStats }
  | { readonly type: 'swarmcdn/keyids'; readonly keyids: readonly string[] };

/**
 * SW → page, the manifest relay's (the bridge core reads these itself: parseSwRelayMessage, kept
 * apart so the render-blocking bridge.js does not carry their parsing).
 */
export type SwRelayMessage =
  /** The verified envelope the SW routes by (exact bytes), for its bridge to relay to peers; version 0 and no bytes: it has none. */
  | { readonly type: 'swarmcdn/envelope'; readonly version: number; readonly bytes?: ArrayBuffer }
  /** An envelope `peerId` relayed failed verification with `code` (forged, malformed): drop the peer. */
  | { readonly type: 'swarmcdn/peer-envelope-refused'; readonly peerId: string; readonly code: ErrorCode };

/** Page → SW. `port` is the transferred end the SW wraps with Comlink. */
export type PageToSwMessage =
  | { readonly type: 'swarmcdn/bridge'; readonly port: MessagePort; readonly settings: SwSettings }
  /** The tracker pushed a new manifest version: refetch /swarmcdn/manifest. */
  | { readonly type: 'swarmcdn/manifest-changed'; readonly version: number }
  /** Asks for SwStats; the answer goes to event.source. */
  | { readonly type: 'swarmcdn/stats' }
  /** The tracker pushed holder counts: `full` replaces the SW's view, else each count is the file's count now (0: none). */
  | { readonly type: 'swarmcdn/availability'; readonly full: boolean; readonly files: Readonly<Record<Sha256Sri, number>> }
  /** The page is idle: prefetch from peers what these pages (the page itself, then the pages it links to) need. */
  | { readonly type: 'swarmcdn/prefetch'; readonly pages: readonly string[] }
  | { readonly type: 'swarmcdn/keyids' }
  /** The page's bridge core started (after the page's load, unless peers were needed sooner): announce the cache to it now. */
  | { readonly type: 'swarmcdn/core-up' }
  /** A tab that follows (another tab's bridge serves this visitor) loaded a page: warm that bridge for this page's files. */
  | { readonly type: 'swarmcdn/warm' }
  /** Asks for the SW's current envelope; the answer (`swarmcdn/envelope`, version 0 without a manifest) goes to event.source. */
  | { readonly type: 'swarmcdn/get-envelope' }
  /** Envelope bytes peer `peerId` relayed, unverified: the SW verifies them as it verifies the server's. */
  | { readonly type: 'swarmcdn/peer-envelope'; readonly peerId: string; readonly bytes: ArrayBuffer };

/** The IndexedDB databases both sides use through idb-keyval (one object store per database, as idb-keyval requires). */
export const CACHE_STORES = Object.freeze({
  /** Chunk SRI value → ArrayBuffer. */
  chunks: { db: 'swarmcdn-chunks', store: 'chunks' },
  /** File SRI value → the SW's file record (which chunks it holds, size, last use). */
  files: { db: 'swarmcdn-files', store: 'files' },
  /** SW state: the highest manifest version accepted, the last good envelope. */
  state: { db: 'swarmcdn-state', store: 'state' },
});

/** Defaults for what a site may configure. */
export const SW_DEFAULTS: SwSettings = Object.freeze({
  cacheBytes: 256 * 1024 * 1024,
  stallMs: 2_000,
  /** 32 MiB per page view: the next pages of a typical site, well inside the cache and a minute of a 5 Mbit/s uplink. */
  prefetchBytes: 32 * 1024 * 1024,
  /** 64 KiB: below it a peer cannot beat even a distant origin by enough to pay for the hop (sw/route-decision.ts). */
  minPeerBytes: 64 * 1024,
  hedgeMs: 0,
  rateHedge: true,
});

/** Holder counts in one availability message at most (a manifest of 100,000 files fits in a handful). */
export const MAX_AVAILABILITY_ENTRIES = 100_000;
/** Pages in one prefetch message at most: the page and the links a real page has. */
export const MAX_PREFETCH_PAGES = 256;
/** Characters of one prefetch page path at most (a manifest path is at most 4,096). */
const MAX_PAGE_PATH_CHARS = 4_096;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Envelope bytes as posted: a non-empty ArrayBuffer within the relay cap. */
function isEnvelopeBuffer(value: unknown): value is ArrayBuffer {
  return value instanceof ArrayBuffer && value.byteLength > 0 && value.byteLength <= MAX_RELAYED_ENVELOPE_BYTES;
}

/** Settings from a page, or undefined when they are unusable (the SW then keeps its own). */
export function parseSwSettings(value: unknown): SwSettings | undefined {
  if (!isRecord(value)) return undefined;
  const { cacheBytes, stallMs } = value;
  if (!withinBounds(cacheBytes, SW_SETTING_BOUNDS.cacheBytes) || !withinBounds(stallMs, SW_SETTING_BOUNDS.stallMs)) return undefined;
  // Absent from a bridge of an older build: the default.
  const prefetchBytes = value.prefetchBytes === undefined ? SW_DEFAULTS.prefetchBytes : value.prefetchBytes;
  const minPeerBytes = value.minPeerBytes === undefined ? SW_DEFAULTS.minPeerBytes : value.minPeerBytes;
  const hedgeMs = value.hedgeMs === undefined ? SW_DEFAULTS.hedgeMs : value.hedgeMs;
  const rateHedge = value.rateHedge === undefined ? SW_DEFAULTS.rateHedge : value.rateHedge;
  if (
    !withinBounds(prefetchBytes, SW_SETTING_BOUNDS.prefetchBytes) ||
    !withinBounds(minPeerBytes, SW_SETTING_BOUNDS.minPeerBytes) ||
    !withinBounds(hedgeMs, SW_SETTING_BOUNDS.hedgeMs) ||
    typeof rateHedge !== 'boolean'
  ) {
    return undefined;
  }
  return { cacheBytes, stallMs, prefetchBytes, minPeerBytes, hedgeMs, rateHedge };
}

/**
 * Holder counts by file SRI from an untrusted object, copied into an object without a prototype
 * (a `__proto__` key is just refused), or undefined when any entry is wrong or there are too many.
 */
export function parseHolderCounts(value: unknown, max = MAX_AVAILABILITY_ENTRIES): Record<Sha256Sri, number> | undefined {
  if (!isRecord(value)) return undefined;
  const counts = Object.create(null) as Record<Sha256Sri, number>;
  let n = 0;
  for (const key of Object.keys(value)) {
    const count = value[key];
    if (++n > max || !isSha256Sri(key) || !isCount(count) || count > 1e9) return undefined;
    counts[key] = count;
  }
  return counts;
}

/** A message a page posted to the SW, or undefined when it is not one of ours. */
export function parsePageToSwMessage(data: unknown, ports: readonly MessagePort[] = []): PageToSwMessage | undefined {
  if (!isRecord(data)) return undefined;
  switch (data.type) {
    case 'swarmcdn/bridge': {
      // The port travels in the transfer list (event.ports) or in the data; either is fine.
      const port = ports[0] ?? data.port;
      const settings = parseSwSettings(data.settings);
      if (typeof MessagePort === 'undefined' || !(port instanceof MessagePort) || !settings) return undefined;
      return { type: 'swarmcdn/bridge', port, settings };
    }
    case 'swarmcdn/manifest-changed':
      return isCount(data.version) ? { type: 'swarmcdn/manifest-changed', version: data.version } : undefined;
    case 'swarmcdn/stats':
    case 'swarmcdn/keyids':
    case 'swarmcdn/get-envelope':
    case 'swarmcdn/core-up':
    case 'swarmcdn/warm':
      return { type: data.type };
    case 'swarmcdn/peer-envelope':
      return isPeerjsId(data.peerId) && isEnvelopeBuffer(data.bytes) ? { type: data.type, peerId: data.peerId, bytes: data.bytes } : undefined;
    case 'swarmcdn/availability': {
      const files = typeof data.full === 'boolean' ? parseHolderCounts(data.files) : undefined;
      return files && { type: data.type, full: data.full as boolean, files };
    }
    case 'swarmcdn/prefetch': {
      const pages = data.pages;
      const valid =
        Array.isArray(pages) &&
        pages.length <= MAX_PREFETCH_PAGES &&
        pages.every((p) => typeof p === 'string' && p.startsWith('/') && p.length <= MAX_PAGE_PATH_CHARS);
      return valid ? { type: data.type, pages: [...(pages as string[])] } : undefined;
    }
    default:
      return undefined;
  }
}

/** A message the SW posted to a page, or undefined when it is not one of ours. Stats are passed through as sent (the SW is trusted: the origin served it). */
export function parseSwToPageMessage(data: unknown): SwToPageMessage | undefined {
  if (!isRecord(data)) return undefined;
  switch (data.type) {
    case 'swarmcdn/hello':
      return { type: data.type };
    case 'swarmcdn/bridge-ok':
      return isCount(data.manifestVersion) ? { type: data.type, manifestVersion: data.manifestVersion } : undefined;
    case 'swarmcdn/stats':
      return isRecord(data.stats) ? { type: data.type, stats: data.stats as unknown as SwStats } : undefined;
    case 'swarmcdn/keyids':
      return Array.isArray(data.keyids) && data.keyids.every((k) => typeof k === 'string') ? { type: data.type, keyids: data.keyids } : undefined;
    default:
      return undefined;
  }
}

/** A manifest-relay message the SW posted to a page, or undefined when it is not one. */
export function parseSwRelayMessage(data: unknown): SwRelayMessage | undefined {
  if (!isRecord(data)) return undefined;
  switch (data.type) {
    case 'swarmcdn/envelope':
      if (data.version === 0 && data.bytes === undefined) return { type: data.type, version: 0 };
      return isCount(data.version) && data.version >= 1 && isEnvelopeBuffer(data.bytes) ? { type: data.type, version: data.version, bytes: data.bytes } : undefined;
    case 'swarmcdn/peer-envelope-refused':
      return isPeerjsId(data.peerId) && isErrorCode(data.code) ? { type: data.type, peerId: data.peerId, code: data.code } : undefined;
    default:
      return undefined;
  }
}

/** A failure code that came back over Comlink, checked (a bridge is another realm; never trust its shape). */
export function parseChunkResult(value: unknown): ChunkResult {
  if (!isRecord(value)) return { ok: false, code: 'BRIDGE_UNAVAILABLE' };
  if (value.ok === true && value.bytes instanceof ArrayBuffer && typeof value.peerId === 'string') {
    return { ok: true, bytes: value.bytes, peerId: value.peerId };
  }
  return { ok: false, code: isErrorCode(value.code) ? value.code : 'BRIDGE_UNAVAILABLE' };
}
