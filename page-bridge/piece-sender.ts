/**
 * The one paced sender of a data channel. Every answer in flight queues its next piece here and
 * the pieces go out in the order of their answers' requests (the requester's order: it asks first
 * for what it needs first), each when the channel's buffer and the upload budget allow. One answer
 * is finished before the next one's pieces go: with sixteen answers in flight, round-robin made
 * every one of them complete at once, sixteen chunk times after it was asked, so a page waiting
 * on its first chunk waited for all sixteen (and hedged to the origin); in request order the first
 * completes after one chunk time and the rest follow one by one, at the same total pace. One queue
 * rather than one waiter per answer: waiters woken by the same 'bufferedamountlow' event run in
 * registration order, whatever their answers' order.
 *
 * A channel whose buffer does not drain for UPLOAD_STALL_MS (its requester takes no bytes) is
 * `stalled`: every queued piece fails at once, so the answers end and give back their upload slots
 * instead of holding them until PIECE_DEADLINE_MS. Waits for the upload budget are the page's own
 * pace, not the requester's fault, and never count.
 */
import { DrainMeter, SEND_HIGH_WATER_BYTES, type UploadBudget } from './upload-pacing.js';
import { sleep } from './wait.js';

/** A piece that cannot be sent within this time (a channel that never drains, a budget far in debt) ends its answer. */
export const PIECE_DEADLINE_MS = 30_000;
/** 'bufferedamountlow' is awaited at most this long before the buffer is looked at again (a missed event must not hang). */
const DRAIN_POLL_MS = 1_000;
/**
 * 5 s without the buffer falling under its high-water mark: even a 200 kbit/s path drains the one
 * piece it needs in that time, and an honest requester gives up on a silent request after its
 * stallMs (2 s by default) anyway.
 */
export const UPLOAD_STALL_MS = 5_000;

interface Turn {
  /** The answer's rank: lower goes first. */
  readonly order: number;
  readonly bytes: number;
  readonly frame: () => Uint8Array;
  readonly signal: AbortSignal;
  readonly queuedAt: number;
  readonly done: (sent: boolean) => void;
}

/** What the sender needs from its session. */
export interface PieceSenderDeps {
  readonly budget: UploadBudget;
  readonly now?: () => number;
  /** UPLOAD_STALL_MS unless a test says otherwise. */
  readonly uploadStallMs?: number;
  /** The open data channel, or undefined once the session closed. */
  channel(): RTCDataChannel | undefined;
  /** Sends one frame, copied before it returns (the frame's buffer is reused for the next); false when the session is closed. */
  send(frame: Uint8Array): boolean;
}

/** Waits until the channel's buffer falls to its low threshold, it closes, or `ms` pass. */
function drained(channel: RTCDataChannel, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      channel.removeEventListener('bufferedamountlow', done);
      channel.removeEventListener('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    channel.addEventListener('bufferedamountlow', done);
    channel.addEventListener('close', done);
  });
}

/** Paced piece sending for one session, answers in request order. */
export class PieceSender {
  readonly #deps: PieceSenderDeps;
  readonly #now: () => number;
  readonly #queue: Turn[] = [];
  readonly #stallMs: number;
  #pumping = false;
  /** Since when the head of the queue waits for the channel to drain, or undefined. */
  #blockedSince: number | undefined;
  /** How fast the channel drains: how much may stay queued on it (upload-pacing.ts). */
  readonly #drain = new DrainMeter();
  /** Bytes handed to the channel so far. */
  #sentTotal = 0;

  constructor(deps: PieceSenderDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#stallMs = deps.uploadStallMs ?? UPLOAD_STALL_MS;
  }

  /** True while the channel has not drained for the stall time (new answers are refused `busy` meanwhile). */
  get stalled(): boolean {
    const channel = this.#deps.channel();
    if (channel && channel.bufferedAmount <= this.#drain.highWater()) this.#blockedSince = undefined;
    return this.#blockedSince !== undefined && this.#now() - this.#blockedSince >= this.#stallMs;
  }

  /**
   * Queues one piece of `bytes` data, behind every piece of a lower `order` (the answer's request
   * id: the requester numbers its requests in the order it asks them); `frame` encodes it when its
   * turn comes. True once sent; false if aborted, closed or too late.
   */
  send(bytes: number, frame: () => Uint8Array, signal: AbortSignal, order = Number.MAX_SAFE_INTEGER): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      // A cancelled answer leaves the queue at once, not when its turn comes.
      const onAbort = (): void => {
        const at = this.#queue.indexOf(turn);
        if (at >= 0) this.#queue.splice(at, 1);
        turn.done(false);
      };
      const turn: Turn = {
        order,
        bytes,
        frame,
        signal,
        queuedAt: this.#now(),
        done: (sent) => {
          signal.removeEventListener('abort', onAbort);
          resolve(sent);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // After every turn of the same or a lower order: an answer's pieces keep their order, and equal orders stay first come, first served.
      let at = this.#queue.length;
      while (at > 0 && this.#queue[at - 1]!.order > order) at -= 1;
      this.#queue.splice(at, 0, turn);
      void this.#pump();
    });
  }

  /** Fails every queued piece (the session closed). */
  stop(): void {
    for (const turn of this.#queue.splice(0)) turn.done(false);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const turn = this.#queue[0];
        if (!turn) return;
        const channel = this.#deps.channel();
        if (!channel) return this.stop();
        const late = this.#now() - turn.queuedAt > PIECE_DEADLINE_MS;
        if (turn.signal.aborted || late) {
          this.#queue.shift();
          turn.done(false);
          continue;
        }
        const now = this.#now();
        this.#drain.sample(this.#sentTotal, channel.bufferedAmount, now);
        const decision = this.#deps.budget.decide(channel.bufferedAmount, turn.bytes, now, this.#drain.highWater());
        if (decision.kind !== 'drain') this.#blockedSince = undefined;
        if (decision.kind === 'send') {
          this.#queue.shift();
          const frame = turn.frame();
          const sent = this.#deps.send(frame);
          if (sent) this.#sentTotal += frame.byteLength;
          turn.done(sent);
        } else if (decision.kind === 'wait') {
          await sleep(Math.min(decision.ms, DRAIN_POLL_MS));
        } else {
          this.#blockedSince ??= now;
          const left = this.#blockedSince + this.#stallMs - now;
          // The requester takes nothing: every answer ends, and gives its slot back.
          if (left <= 0) return this.stop();
          // The event fires when the buffer falls to the floor: a full buffer is refilled from there to the high-water mark.
          channel.bufferedAmountLowThreshold = SEND_HIGH_WATER_BYTES;
          await drained(channel, Math.min(DRAIN_POLL_MS, left));
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}
