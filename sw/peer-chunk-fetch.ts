/**
 * One chunk from the swarm through a page bridge: verified before it is returned (the caller counts
 * its bytes: in the end game two asks race, and only the winner's count). A chunk that does
 * not hash gets its peer reported and one retry elsewhere. A stall is stallMs with no answer to
 * this request and no chunk at all arriving for the response: with a window of requests queued at
 * one bridge, a slow but live channel answers each request later than stallMs after it was asked,
 * and that must not read as a stall. A stalled request is cancelled. Anything that fails is an
 * outcome, never a throw: the caller falls back to the origin.
 */
import type { Sha256Sri } from '../protocol/index.js';
import type { BridgeHandle, BridgeRegistry } from './bridge-registry.js';
import { TIMED_OUT, withDeadline } from './deadline.js';
import type { SwStatsCounter } from './sw-stats.js';
import { verifyChunk } from './verify-chunk.js';

/** What a peer fetch needs. */
export interface PeerFetchContext {
  readonly bridges: Pick<BridgeRegistry, 'getChunk' | 'cancelChunk' | 'reportPeer'>;
  readonly stats: Pick<SwStatsCounter, 'addBadChunk' | 'addBytes'>;
  readonly stallMs: number;
  /** When a chunk last arrived for this response (epoch ms), and a way to say one just did. */
  readonly progress: { last(): number; note(): void };
  /** Ids unique among the SW's requests in flight. */
  readonly nextRequestId: () => number;
  /** Keeps the SW alive for work that outlives the call (reports, cancels). */
  readonly keepAlive: (work: Promise<unknown>) => void;
}

/** The chunk wanted. */
export interface WantedChunk {
  readonly file: Sha256Sri;
  readonly chunk: Sha256Sri;
  readonly size: number;
  /** A second ask for a chunk still awaited (the end game): the bridge sends it to another holder, or answers PEER_NONE. */
  readonly hedge?: boolean;
}

/** Verified bytes and who sent them, or why there are none. */
export type PeerOutcome =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly peerId: string }
  | { readonly ok: false; readonly reason: 'stalled' | 'failed' | 'aborted' };

/** One retry after a bad chunk: a second bad peer in a row means the swarm is not worth the wait. */
const MISMATCH_RETRIES = 1;

/** The answer, or TIMED_OUT once stallMs pass without it or any other progress (or on abort). */
async function untilStalled<T>(answer: Promise<T>, ctx: PeerFetchContext, signal: AbortSignal): Promise<T | typeof TIMED_OUT> {
  const asked = Date.now();
  // Ends: each round either answers, aborts, or needs fresh progress, and progress is finite.
  for (;;) {
    const left = Math.max(asked, ctx.progress.last()) + ctx.stallMs - Date.now();
    if (left <= 0 || signal.aborted) return TIMED_OUT;
    const result = await withDeadline(answer, left, signal);
    if (result !== TIMED_OUT) return result;
  }
}

/** Fetches and verifies one chunk from peers through `bridge`. */
export async function fetchChunkFromPeers(
  ctx: PeerFetchContext,
  bridge: BridgeHandle,
  want: WantedChunk,
  signal: AbortSignal,
): Promise<PeerOutcome> {
  const exclude: string[] = [];
  for (let attempt = 0; attempt <= MISMATCH_RETRIES; attempt++) {
    const id = ctx.nextRequestId();
    const result = await untilStalled(ctx.bridges.getChunk(bridge, { ...want, id, exclude: [...exclude] }), ctx, signal);
    if (result === TIMED_OUT) {
      // Stalled, or given up by the caller: either way the bridge stops asking the peer. The peer is
      // not known here (a bridge names it only with bytes); the bridge saw the stall itself.
      ctx.keepAlive(ctx.bridges.cancelChunk(bridge, id));
      return { ok: false, reason: signal.aborted ? 'aborted' : 'stalled' };
    }
    if (!result.ok) return { ok: false, reason: 'failed' };
    ctx.progress.note();
    const bytes = new Uint8Array(result.bytes);
    if (await verifyChunk(bytes, want.chunk, want.size)) {
      // Given up while hashing (the other ask of an end-game pair won): not this call's chunk any more.
      if (signal.aborted) return { ok: false, reason: 'aborted' };
      return { ok: true, bytes, peerId: result.peerId };
    }
    ctx.stats.addBadChunk();
    ctx.keepAlive(ctx.bridges.reportPeer(bridge, result.peerId, want.file, 'CHUNK_MISMATCH'));
    exclude.push(result.peerId);
    if (signal.aborted) return { ok: false, reason: 'aborted' };
  }
  return { ok: false, reason: 'failed' };
}
