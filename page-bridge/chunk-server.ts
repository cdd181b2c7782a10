/**
 * The serving role of one peer session: answers `request` frames with the chunk's bytes from the
 * SW's store, as piece frames paced on the channel's send buffer and the page's upload budget;
 * `absent not-held` when the chunk is not here or uploads are off, `absent busy` when no upload slot
 * can be had (upload-slots.ts shares them between peers) or the channel is stalled; a `cancel` stops
 * the answer between two pieces. An answer whose slot is taken back for another peer, or whose
 * channel stalls (piece-sender.ts), ends with `absent busy`, and its slot is free at once. A
 * requester with more than MAX_REQUESTS_IN_FLIGHT requests unanswered breaks the protocol.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';
import { MAX_PIECE_DATA_BYTES, MAX_REQUESTS_IN_FLIGHT, encodeAbsent, encodePieceInto, pieceFrameBytes } from '../protocol/messages/peer.js';
import type { ChunkReader } from './chunk-reader.js';
import type { PageCounters } from './counters.js';
import type { SwarmConfig } from './options.js';
import { PieceSender } from './piece-sender.js';
import type { UploadBudget } from './upload-pacing.js';

/** The page's upload slots (maxUploads) as one session takes them, one per answer. */
export interface UploadSlots {
  /**
   * A slot for one answer: the function that gives it back (idempotent), or undefined when none
   * can be had. `revoked` is called if the slot is taken back for another peer: the answer stops.
   */
  tryAcquire(revoked: () => void): (() => void) | undefined;
}

/** What the serving role needs from its session and the page. */
export interface ChunkServerDeps {
  readonly config: Pick<SwarmConfig, 'upload'>;
  readonly readChunk: ChunkReader;
  readonly slots: UploadSlots;
  readonly budget: UploadBudget;
  readonly counters: PageCounters;
  readonly now?: () => number;
  /** How long an undrained channel holds its answers' slots (tests shorten it). */
  readonly uploadStallMs?: number;
  /** The open data channel, or undefined once the session closed. */
  channel(): RTCDataChannel | undefined;
  /** Sends one frame, copied before it returns (the caller reuses the buffer); false when the session is closed. */
  send(frame: Uint8Array): boolean;
  /** The requester broke the protocol. */
  violation(reason: string): void;
}

interface Answer {
  readonly controller: AbortController;
  readonly release: () => void;
}

/** The serving role of one session. */
export class ChunkServer {
  readonly #deps: ChunkServerDeps;
  readonly #sender: PieceSender;
  /** Answers in progress, by request id; an answer leaves the moment it ends, with its slot. */
  readonly #serving = new Map<number, Answer>();
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
    // Every answer it is owed already left (or its cancel arrived) before this frame: it asks for more than the protocol allows.
    if (this.#serving.size >= MAX_REQUESTS_IN_FLIGHT) return this.#deps.violation(`more than ${MAX_REQUESTS_IN_FLIGHT} requests unanswered`);
    if (!this.#deps.config.upload) return void this.#deps.send(encodeAbsent(requestId, 'not-held'));
    if (this.#sender.stalled) return void this.#deps.send(encodeAbsent(requestId, 'busy'));
    const release = this.#deps.slots.tryAcquire(() => this.#end(requestId, true));
    if (!release) return void this.#deps.send(encodeAbsent(requestId, 'busy'));
    const controller = new AbortController();
    this.#serving.set(requestId, { controller, release });
    void this.#serve(requestId, chunk, controller.signal)
      .catch(() => undefined)
      .finally(() => this.#end(requestId, false));
  }

  /** A `cancel` frame arrived: stop between two pieces (an unknown id is normal: the answer may be done). */
  cancel(requestId: number): void {
    this.#end(requestId, false);
  }

  /** The session closed: stop every answer. */
  stop(): void {
    this.#stopped = true;
    for (const requestId of [...this.#serving.keys()]) this.#end(requestId, false);
    this.#sender.stop();
  }

  /** Ends an answer now: it stops between two pieces and its slot is free; `tellBusy` lets the requester stop waiting for it. */
  #end(requestId: number, tellBusy: boolean): void {
    const answer = this.#serving.get(requestId);
    if (!answer) return;
    this.#serving.delete(requestId);
    answer.controller.abort();
    answer.release();
    if (tellBusy && !this.#stopped) this.#deps.send(encodeAbsent(requestId, 'busy'));
  }

  async #serve(requestId: number, chunk: Sha256Sri, signal: AbortSignal): Promise<void> {
    const bytes = await this.#deps.readChunk(chunk);
    if (signal.aborted) return;
    if (!bytes) return void this.#deps.send(encodeAbsent(requestId, 'not-held'));
    // Every piece queued at once, in the answer's place (its request id): the sender finishes one
    // answer before the next, with no gap in which another answer's piece could slip in.
    const pieces: { readonly length: number; readonly sent: Promise<boolean> }[] = [];
    for (let offset = 0; offset < bytes.length; offset += MAX_PIECE_DATA_BYTES) {
      const data = bytes.subarray(offset, offset + MAX_PIECE_DATA_BYTES);
      // Encoded when its turn comes, into the session's one frame buffer, and sent (copied) straight after.
      const frame = (): Uint8Array => encodePieceInto((this.#frameBuffer ??= new Uint8Array(pieceFrameBytes(MAX_PIECE_DATA_BYTES))), requestId, offset, bytes.length, data);
      pieces.push({ length: data.length, sent: this.#sender.send(data.length, frame, signal, requestId) });
    }
    for (const piece of pieces) {
      if (!(await piece.sent)) {
        // The channel stalled (not a cancel or a close): the requester is told, the slot goes back now.
        if (!signal.aborted && this.#sender.stalled) this.#end(requestId, true);
        return;
      }
      this.#deps.counters.uploadBytes += piece.length;
    }
    this.#deps.counters.servedChunks += 1;
  }
}
