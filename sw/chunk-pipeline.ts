/**
 * The chunks of one response, verified and in order. Each chunk comes from the cache, else from
 * peers through a bridge, with a window of requests in flight so throughput tracks the data
 * channel (the bridge spreads them over the file's holders). A chunk overdue while the response
 * waits on it is asked once more, of another holder (end-game.ts). The first peer failure (no
 * bridge, a bridge error, a stall, a second bad chunk), no first byte within the budget
 * (first-byte-hedge.ts) or peers slower than the origin (rate-hedge.ts) turn the rest of the span
 * over to the origin in one Range request from the first chunk not yet held. Every wait is
 * bounded and the origin stands behind all of them: the page never sees a peer fail.
 */
import type { ManifestFile } from '../protocol/index.js';
import type { BridgeHandle } from './bridge-registry.js';
import { chunkBounds, chunkLength, type ChunkSpan } from './chunk-span.js';
import { EndGame, holdingUp } from './end-game.js';
import { FirstByteHedge } from './first-byte-hedge.js';
import { fetchChunkFromPeers, type PeerOutcome } from './peer-chunk-fetch.js';
import { readOriginSpan } from './origin-span-reader.js';
import { OriginSpans } from './origin-spans.js';
import { PeerTally } from './peer-tally.js';
import type { PipelineChunk, PipelineContext } from './pipeline-context.js';
import { ChunkWrites } from './pending-writes.js';
import type { HandoverReason } from './sw-stats.js';
import { createSlot, type Slot } from './pipeline-slot.js';
import { verifyChunk } from './verify-chunk.js';

export type { FirstByteBudget, PipelineChunk, PipelineContext } from './pipeline-context.js';

/** A peers-only chunk that failed is asked again after this long (new holders, a bridge that came up). */
const PEER_RETRY_MS = 250;

/** Produces the verified chunks of one span of one file, in order. */
export class ChunkPipeline {
  private readonly slots = new Map<number, Slot>();
  private readonly abort = new AbortController();
  private readonly writes: ChunkWrites;
  private roomWaiters: (() => void)[] = [];
  private cursor: number;
  private lastArrival = Date.now();
  /**
   * When a chunk last arrived for this response; with no origin to turn to (peers-only), for any of
   * the page's responses: this one's requests wait behind theirs at the same holders, not stalled.
   */
  private readonly progress = {
    last: () => (this.peersUntil === undefined ? this.lastArrival : Math.max(this.lastArrival, Date.now() - (this.ctx.pulse?.sinceLast() ?? Infinity))),
    note: () => void (this.lastArrival = Date.now()),
  };
  private readonly originSpans: OriginSpans;
  /** Set when only peers may serve (origin 'never', or the origin failed): retry peers until then. */
  private peersUntil: number | undefined;
  private readonly firstByte: FirstByteHedge | undefined;
  private readonly endGame = new EndGame();
  private readonly fromPeersSoFar = new PeerTally();
  /** True once a chunk of this response came from a peer or the cache (bytes the manifest vouched for). */
  private vouched = false;
  /** True once the origin failed and the pipeline turned to peers for the rest. */
  originFailed = false;
  /** True once any chunk of the span arrived (from anywhere): the window opens from one to `window`. */
  private get started(): boolean {
    if (this.cursor > this.span.first) return true;
    for (const slot of this.slots.values()) if (slot.settled) return true;
    return false;
  }

  constructor(
    private readonly ctx: PipelineContext,
    private readonly file: ManifestFile,
    private readonly chunkSize: number,
    private readonly span: ChunkSpan,
  ) {
    this.cursor = span.first;
    this.writes = new ChunkWrites(ctx.cache, file, chunkSize, ctx.keepAlive, ctx.writeBehind);
    this.originSpans = new OriginSpans(span.last);
    if (ctx.origin === 'never') this.peersUntil = ctx.peersUntil ?? Date.now();
    else this.firstByte = new FirstByteHedge(ctx, () => this.bytesLeft(), () => this.hedge());
  }

  /** The next chunk in order, or undefined after the last; rejects only when the origin failed too. */
  async next(): Promise<PipelineChunk | undefined> {
    if (this.cursor > this.span.last || this.abort.signal.aborted) return undefined;
    this.launch();
    const slot = this.slots.get(this.cursor)!;
    const chunk = await slot.promise;
    this.slots.delete(this.cursor);
    this.cursor += 1;
    for (const wake of this.roomWaiters.splice(0)) wake();
    this.launch();
    // Backpressure on cache writes: IndexedDB slower than the network must not pile up chunks in memory.
    await this.writes.below(this.ctx.window);
    return chunk;
  }

  /** Bytes of the span the response still waits on from peers: neither held yet nor handed to the origin (0 once cancelled). */
  get waitingOnPeers(): number {
    return this.abort.signal.aborted ? 0 : this.bytesLeft();
  }

  /** True once every chunk of the span was read (not when it was cancelled first). */
  get complete(): boolean {
    return this.cursor > this.span.last;
  }

  /** Stops everything in flight (the page went away, or the response ended). */
  cancel(): void {
    if (this.abort.signal.aborted) return;
    this.firstByte?.stop();
    this.endGame.stop();
    this.abort.abort();
    for (const slot of this.slots.values()) slot.abort.abort();
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /** Writes the chunks held back for the response (write-behind); resolves when every cache write this pipeline started has ended. */
  settled(): Promise<void> {
    return this.writes.settled();
  }

  /**
   * Starts requests in order while fewer than `window` are open, up to two windows past the
   * reader. It runs whenever a chunk arrives, not only when the reader takes one: the response
   * body drains into the page at its own pace, and a window that refilled only on reads left the
   * peer with one or two requests (idle between them) while verified chunks waited to be read.
   * Until the first chunk has arrived the window is one: holders answer in request order, so in a
   * burst of files every first chunk is queued before any second one (a single file loses a round trip).
   */
  private launch(): void {
    if (this.abort.signal.aborted) return;
    const window = this.started ? this.ctx.window : 1;
    const end = Math.min(this.span.last, this.cursor + 2 * this.ctx.window - 1);
    let open = 0;
    for (const slot of this.slots.values()) if (!slot.settled) open += 1;
    for (let i = this.cursor; i <= end && open < window; i++) {
      if (this.slots.has(i)) continue;
      const slot = this.slot(i);
      open += 1;
      if (!this.originSpans.has(i)) {
        // A bug below must not leave the page waiting: the origin takes over.
        this.fromCacheOrPeers(slot).catch(() => this.peerFailed(slot));
      }
    }
    this.checkReasks();
  }

  /**
   * Asks again, of another holder, the chunks overdue while the response waits on them: the one
   * the reader waits for, or any once no chunk of the span is left to ask (end-game.ts).
   */
  private checkReasks(): void {
    this.endGame.stop();
    if (this.abort.signal.aborted) return;
    const view = { cursor: this.cursor, last: this.span.last, launched: (i: number) => this.slots.has(i), fromOrigin: (i: number) => this.originSpans.has(i) };
    const ask = (index: number): Promise<void> => {
      const slot = this.slots.get(index)!;
      slot.reasked = true;
      return this.askPeers(slot, true);
    };
    this.endGame.review(holdingUp(this.slots.values(), view), ask, () => this.checkReasks());
  }

  private slot(index: number): Slot {
    const existing = this.slots.get(index);
    if (existing) return existing;
    const slot = createSlot(index);
    this.slots.set(index, slot);
    return slot;
  }

  private async fromCacheOrPeers(slot: Slot): Promise<void> {
    const { index } = slot;
    const chunk = this.file.chunks[index]!;
    const size = chunkLength(index, this.file.size, this.chunkSize);
    if (this.ctx.cache.hasChunk(chunk)) {
      const stored = await this.ctx.cache.readChunk(chunk);
      const bytes = stored ? new Uint8Array(stored) : undefined;
      if (bytes && (await verifyChunk(bytes, chunk, size))) {
        this.ctx.stats.addBytes('cache', size);
        // A chunk another file holds also counts for this one.
        this.writes.store(index, bytes);
        this.vouched = true;
        slot.resolve({ index, bytes, source: 'cache' });
        this.launch();
        return;
      }
      this.ctx.keepAlive(this.ctx.cache.dropChunk(chunk));
    }
    slot.phase = 'peer';
    await this.askPeers(slot, false);
  }

  /**
   * Asks peers for the slot's chunk through the bridge: the first ask, or (`hedge`) the end game's
   * second. Both share the slot's abort signal: the winner aborts it, which cancels the other at
   * the bridge. The slot fails over only when no ask is left in flight.
   */
  private async askPeers(slot: Slot, hedge: boolean): Promise<void> {
    if (slot.settled || slot.abort.signal.aborted) return;
    const bridge = await this.bridgeFor(slot);
    if (slot.settled || slot.abort.signal.aborted) return;
    if (!bridge) {
      if (!hedge && slot.asking === 0) this.peerFailed(slot);
      return;
    }
    const { index } = slot;
    const askedAt = Date.now();
    if (!hedge) slot.askedAt = askedAt;
    slot.asking += 1;
    const want = { file: this.file.integrity, chunk: this.file.chunks[index]!, size: chunkLength(index, this.file.size, this.chunkSize), hedge: hedge || undefined };
    let outcome: PeerOutcome;
    try {
      outcome = await fetchChunkFromPeers({ ...this.ctx, progress: this.progress }, bridge, want, slot.abort.signal);
    } finally {
      slot.asking -= 1;
    }
    if (outcome.ok) {
      // The other ask of an end-game pair may have won meanwhile: its bytes are the slot's.
      if (!slot.settled) this.peerArrived(slot, outcome.bytes, askedAt);
    } else if (outcome.reason !== 'aborted' && slot.asking === 0 && !slot.settled) {
      this.peerFailed(slot);
    }
  }

  /** A verified chunk from peers: counted, cached, served; the loser of an end-game pair is cancelled. */
  private peerArrived(slot: Slot, bytes: Uint8Array, askedAt: number): void {
    this.endGame.note(Date.now() - askedAt);
    this.ctx.stats.addBytes('peer', bytes.byteLength);
    this.ctx.pulse?.note(bytes.byteLength);
    this.fromPeersSoFar.add(bytes.byteLength);
    this.firstByte?.stop();
    this.writes.store(slot.index, bytes);
    this.vouched = true;
    slot.resolve({ index: slot.index, bytes, source: 'peer' });
    if (slot.reasked) slot.abort.abort();
    if (this.peersSlowerThanOrigin()) this.hedge(true);
    this.launch();
  }

  /** The request's bridge; in peers-only mode after a miss, one more wait for a bridge (up to the deadline). */
  private async bridgeFor(slot: Slot): Promise<BridgeHandle | undefined> {
    const first = await this.ctx.bridge();
    if (first || this.peersUntil === undefined || !this.ctx.chooseBridge) return first;
    const left = this.peersUntil - Date.now();
    return left > 0 && !slot.abort.signal.aborted ? this.ctx.chooseBridge(left) : undefined;
  }

  /** No peer served the chunk: the origin takes over, or in peers-only mode the chunk is asked again until the deadline. */
  private peerFailed(slot: Slot): void {
    if (this.peersUntil === undefined) return this.toOrigin(slot.index, 'peerFailed');
    if (Date.now() + PEER_RETRY_MS >= this.peersUntil) {
      slot.reject(new Error('no peer served the chunk in time'));
      return;
    }
    setTimeout(() => {
      if (slot.settled || slot.abort.signal.aborted || this.abort.signal.aborted) return;
      this.fromCacheOrPeers(slot).catch(() => slot.reject(new Error('peer fetch failed')));
    }, PEER_RETRY_MS);
  }

  /** No chunk from peers within the first-byte budget, or (`evenAfterPeerBytes`) peers slower than the origin: the origin takes the span from the first chunk not yet held. */
  private hedge(evenAfterPeerBytes = false): void {
    if ((this.fromPeersSoFar.chunks > 0 && !evenAfterPeerBytes) || this.abort.signal.aborted || this.peersUntil !== undefined) return;
    for (let i = this.cursor; i <= this.span.last; i++) {
      const slot = this.slots.get(i);
      if (slot?.settled || this.ctx.cache.hasChunk(this.file.chunks[i]!)) continue;
      this.toOrigin(i, evenAfterPeerBytes ? 'rate' : 'firstByte');
      return;
    }
  }

  /** The rate hedge (rate-hedge.ts): would the origin finish the rest clearly before the peers? Never in peers-only mode. */
  private peersSlowerThanOrigin(): boolean {
    const pace = this.ctx.originPace;
    return pace !== undefined && this.peersUntil === undefined && this.fromPeersSoFar.originFaster(pace, this.bytesLeft());
  }

  /** Bytes of the span neither held yet nor asked of the origin. */
  private bytesLeft(): number {
    let left = 0;
    for (let i = this.cursor; i <= this.span.last; i++) {
      if (!this.slots.get(i)?.settled && !this.originSpans.has(i)) left += chunkLength(i, this.file.size, this.chunkSize);
    }
    return left;
  }

  /**
   * The origin failed the span from..to. With an origin-down wait, peers get the span instead
   * (bounded); otherwise every open chunk of it fails and the page gets the origin's own failure.
   */
  private originFailedFor(from: number, to: number, error: unknown): void {
    const inSpan = (slot: Slot): boolean => slot.index >= from && slot.index <= to;
    const waitMs = this.ctx.originDownWaitMs ?? 0;
    if (waitMs <= 0 || this.abort.signal.aborted) {
      for (const slot of this.slots.values()) if (inSpan(slot)) slot.reject(error);
      return;
    }
    this.originFailed = true;
    this.peersUntil ??= Date.now() + waitMs;
    this.firstByte?.stop();
    // The span is the peers' again: chunks launched later are asked of peers too.
    this.originSpans.release(from);
    for (const slot of this.slots.values()) {
      if (!inSpan(slot) || slot.settled) continue;
      slot.abort = new AbortController();
      this.fromCacheOrPeers(slot).catch(() => slot.reject(error));
    }
  }

  /**
   * Chunk `failed` has no peer: one origin request takes over from the first chunk not yet held
   * (at or before it, so slow peer requests in front of it stop holding the page up) to the end
   * of the span. Usually that is the only one; a cached chunk in front that then fails its check
   * gets a request of its own, up to where the first one starts.
   */
  private toOrigin(failed: number, reason: HandoverReason): void {
    if (this.abort.signal.aborted || this.originSpans.has(failed)) return;
    this.firstByte?.stop();
    this.ctx.onHandover?.(reason);
    let from = this.cursor;
    for (let s = this.slots.get(from); from < failed && s && (s.settled || s.phase === 'cache'); s = this.slots.get(from)) from++;
    const span = this.originSpans.claim(from, failed);
    for (const slot of this.slots.values()) if (slot.index >= span.from && slot.index <= span.to && !slot.settled) slot.abort.abort();
    void this.readOrigin(span.from, span.to);
  }

  private async readOrigin(from: number, to: number): Promise<void> {
    const debt = this.ctx.owe?.(chunkBounds(to, this.file.size, this.chunkSize).end - chunkBounds(from, this.file.size, this.chunkSize).start);
    const chunks = readOriginSpan({
      file: this.file,
      chunkSize: this.chunkSize,
      from,
      to,
      fetchRange: this.ctx.fetchRange,
      signal: this.abort.signal,
      onBytes: (n) => {
        this.ctx.stats.addBytes('origin', n);
        debt?.received(n);
      },
      // Read ahead of the consumer by at most one window.
      waitForRoom: (index) => this.roomFor(index),
    });
    const inSpan = (slot: Slot): boolean => slot.index >= from && slot.index <= to;
    try {
      for await (const { index, bytes, matches } of chunks) {
        if (this.abort.signal.aborted) break;
        // Already served from a peer and consumed: its slot is gone, the origin copy is not needed.
        if (index < this.cursor) continue;
        if (!matches) {
          this.ctx.cache.taint(this.file.integrity);
          // The origin has other bytes than the manifest (a new version): a response holding the
          // manifest's chunks must not go on with the origin's. Peers finish it, or it fails rather
          // than mix two files; the taint sends the next request for the file to the origin, whole.
          if (this.vouched) throw new Error(`the origin's bytes of ${this.file.integrity} differ from the manifest's at chunk ${index}, after chunks the manifest vouched for`);
        } else this.writes.store(index, bytes);
        this.slot(index).resolve({ index, bytes, source: 'origin' });
      }
    } catch (error) {
      this.originFailedFor(from, to, error);
      return;
    } finally {
      debt?.settle();
    }
    // Ends without error when done or aborted; a slot still open now can never be served.
    for (const slot of this.slots.values()) if (inSpan(slot)) slot.reject(new Error('origin span ended early'));
  }

  private roomFor(index: number): Promise<void> {
    const check = (resolve: () => void): void => {
      if (index < this.cursor + this.ctx.window || this.abort.signal.aborted) resolve();
      else this.roomWaiters.push(() => check(resolve));
    };
    return new Promise(check);
  }
}
