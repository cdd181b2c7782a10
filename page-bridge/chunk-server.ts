/**
 * The serving role of one peer session: answers `request` frames with the chunk's bytes from the
 * SW's store, as piece frames paced on the channel's send buffer and the page's upload budget;
 * `absent not-held` when the chunk is not here or uploads are off, `absent busy` past the page's
 * maxUploads; a `cancel` stops the answer between two pieces.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';
import { MAX_PIECE_DATA_BYTES, encodeAbsent, encodePieceInto, pieceFrameBytes } from '../protocol/messages/peer.js';
import type { ChunkReader } from './chunk-reader.js';
import type { PageCounters } from './counters.js';
import type { SwarmConfig } from './options.js';
import { PieceSender } from './piece-sender.js';
import type { UploadBudget } from './upload-pacing.js';

/** The page-wide count of requests being served (maxUploads), shared by every session. */
export interface UploadSlots {
  /** Takes a slot; false when all are in use. */
  tryAcquire(): boolean;
  release(): void;
}

/** What the serving role needs from its session and the page. */
export interface ChunkServerDeps {
  readonly config: Pick<SwarmConfig, 'upload'>;
  readonly readChunk: ChunkReader;
  readonly slots: UploadSlots;
  readonly budget: UploadBudget;
  readonly counters: PageCounters;
  readonly now?: () => number;
  /** The open data channel, or undefined once the session closed. */
  channel(): RTCDataChannel | undefined;
  /** Sends one frame, copied before it returns (the caller reuses the buffer); false when the session is closed. */
  send(frame: Uint8Array): boolean;
  /** The requester broke the protocol. */
  violation(reason: string): void;
}

/** The serving role of one session. */
export class ChunkServer {
  readonly #deps: ChunkServerDeps;
  readonly #sender: PieceSender;
  readonly #serving = new Map<number, AbortController>();
  #stopped = false;
  /** Every piece frame is encoded here, its turn comes, and it is sent (copied) at once: one buffer per session. */
  #frameBuffer: Uint8Array | undefined;

  constructor(deps: ChunkServerDeps) {
    this.#deps = deps;
    this.#sender = new PieceSender(deps);
  }

  /** True when no answer is in progress. */
  get idle(): boolean {
    return this.#serving.size === 0;
  }

  /** A `request` frame arrived. */
  request(requestId: number, chunk: Sha256Sri): void {
    if (this.#stopped) return;
    // A requester picks its ids; reusing one still in flight would make our pieces ambiguous to it.
    if (this.#serving.has(requestId)) return this.#deps.violation(`request ${requestId} reused while in flight`);
    if (!this.#deps.config.upload) return void this.#deps.send(encodeAbsent(requestId, 'not-held'));
    if (!this.#deps.slots.tryAcquire()) return void this.#deps.send(encodeAbsent(requestId, 'busy'));
    const controller = new AbortController();
    this.#serving.set(requestId, controller);
    void this.#serve(requestId, chunk, controller.signal)
      .catch(() => undefined)
      .finally(() => {
        this.#serving.delete(requestId);
        this.#deps.slots.release();
      });
  }

  /** A `cancel` frame arrived: stop between two pieces (an unknown id is normal: the answer may be done). */
  cancel(requestId: number): void {
    this.#serving.get(requestId)?.abort();
  }

  /** The session closed: stop every answer. */
  stop(): void {
    this.#stopped = true;
    for (const controller of this.#serving.values()) controller.abort();
    this.#sender.stop();
  }

  async #serve(requestId: number, chunk: Sha256Sri, signal: AbortSignal): Promise<void> {
    const bytes = await this.#deps.readChunk(chunk);
    if (signal.aborted) return;
    if (!bytes) return void this.#deps.send(encodeAbsent(requestId, 'not-held'));
    for (let offset = 0; offset < bytes.length; offset += MAX_PIECE_DATA_BYTES) {
      const data = bytes.subarray(offset, offset + MAX_PIECE_DATA_BYTES);
      // Encoded when its turn comes, into the session's one frame buffer, and sent (copied) straight after.
      const frame = (): Uint8Array => encodePieceInto((this.#frameBuffer ??= new Uint8Array(pieceFrameBytes(MAX_PIECE_DATA_BYTES))), requestId, offset, bytes.length, data);
      if (!(await this.#sender.send(data.length, frame, signal))) return;
      this.#deps.counters.uploadBytes += data.length;
    }
    this.#deps.counters.servedChunks += 1;
  }
}
