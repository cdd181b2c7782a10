/** What a chunk pipeline (chunk-pipeline.ts) needs from the SW, and what it yields: the contract its callers fill in. */
import type { BridgeHandle } from './bridge-registry.js';
import type { ChunkCache } from './chunk-cache.js';
import type { OriginDebt } from './origin-timing.js';
import type { WriteBehind } from './pending-writes.js';
import type { PeerFetchContext } from './peer-chunk-fetch.js';
import type { ByteSource, HandoverReason } from './sw-stats.js';
import type { SwarmPulse } from './swarm-pulse.js';

/** What the first-byte hedge reads, each time it looks. */
export interface FirstByteBudget {
  /** How long a response may wait for its first verified chunk, as it stands now (it grows with the bytes the pages wait on). */
  budgetMs(): number;
  /** The bytes the pages' swarm requests wait on together. */
  bytesAtStake(): number;
  /** How long the origin would take for `bytes`: its time to headers plus the bytes at its pace. */
  originMs(bytes: number): number;
}

/** What a pipeline needs from the SW. */
export interface PipelineContext extends Omit<PeerFetchContext, 'progress'> {
  readonly cache: Pick<ChunkCache, 'hasChunk' | 'readChunk' | 'storeChunk' | 'dropChunk' | 'isTainted' | 'taint'>;
  /** The bridge for this request (resolved once, bounded), or undefined: origin. */
  readonly bridge: () => Promise<BridgeHandle | undefined>;
  readonly fetchRange: (rangeHeader: string, signal: AbortSignal) => Promise<Response>;
  /** Chunk requests in flight at once; started or verified chunks run ahead of the reader by at most twice this. */
  readonly window: number;
  /**
   * The first-byte hedge (first-byte-hedge.ts): when no chunk has arrived from peers within its
   * budget, the origin takes the rest of the span from the first chunk not yet held. Undefined:
   * only the stall rule.
   */
  readonly firstByte?: FirstByteBudget;
  /**
   * 'fallback' (default): a peer failure hands the rest of the span to the origin. 'never': peers
   * only, retried until `peersUntil` (prefetch, and a request whose origin already failed).
   */
  readonly origin?: 'fallback' | 'never';
  /** With origin 'never': the time (epoch ms) until which failed chunks are asked of peers again. */
  readonly peersUntil?: number;
  /** With 'fallback': when the origin fails, wait this long for peers instead (0 or absent: the failure stands). */
  readonly originDownWaitMs?: number;
  /** A bridge, waiting for one up to `waitMs` (peers-only retries, when the first choice found none). */
  readonly chooseBridge?: (waitMs: number) => Promise<BridgeHandle | undefined>;
  /**
   * The origin's measured pace: when peers deliver so slowly that the origin would finish the rest
   * clearly sooner, it takes the rest (the rate hedge). Undefined: no rate hedge.
   */
  readonly originPace?: { readonly ttfbMs: () => number; readonly bytesPerMs: () => number | undefined };
  /**
   * The swarm's delivery to this SW's page requests (swarm-pulse.ts): told of each verified peer
   * chunk; the first-byte hedge reads its pace, and a peers-only response its last arrival.
   */
  readonly pulse?: Pick<SwarmPulse, 'note' | 'recentPace' | 'sinceLast'>;
  /** Told each time the origin takes over the rest of a span, and why (SwStats.handovers). */
  readonly onHandover?: (reason: HandoverReason) => void;
  /** Each origin span's bytes, owed until read (OriginTiming.owe): the first-byte hedge counts the origin's queue. */
  readonly owe?: (bytes: number) => OriginDebt;
  /** The SW's write-behind budget (pending-writes.ts): chunks held back from the cache until the response ends. Absent: written as they come. */
  readonly writeBehind?: WriteBehind;
}

/** One verified chunk, with where it came from. */
export interface PipelineChunk {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly source: ByteSource;
}
