/**
 * The pool's last resort for peers (pool-keeper.ts): ask the tracker who holds the file most peers
 * of the site hold. The pool sees every tracker frame of its signalling socket before the tracker
 * client does, so this keeps what it needs from them (whether the socket has joined; the files
 * with the most holders, from the availability pushes) and sends its one `want` at a time on the
 * same socket, with request ids far above the tracker client's (which counts up from 1), so the
 * two never answer each other's questions. One rescue per keeper round, rounds backing off: this
 * stays far inside the headroom the tracker client leaves under the server's rate.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';
import { parseTrackerServerMessage, type TrackerClientMessage } from '../protocol/messages/tracker.js';
import { WANT_TIMEOUT_MS } from './tracker-client.js';

/** Files with holders remembered (the most held): a rescue needs one. */
const MAX_FILES = 256;
/** The first rescue request id: 2^40, which the tracker client's ids (from 1, one per `want`) never reach. */
export const RESCUE_REQUEST_BASE = 2 ** 40;

/** Rescue `want`s on the pool's signalling socket. */
export class TrackerRescue {
  readonly #send: (message: TrackerClientMessage) => boolean;
  readonly #timeoutMs: number;
  readonly #random: () => number;
  /** Integrity → holders, the most held files of the site (as the availability pushes said). */
  readonly #files = new Map<Sha256Sri, number>();
  #joined = false;
  #nextId = RESCUE_REQUEST_BASE;
  #pending: { readonly requestId: number; readonly done: (peers: readonly string[]) => void } | undefined;

  constructor(send: (message: TrackerClientMessage) => boolean, timeoutMs = WANT_TIMEOUT_MS, random: () => number = Math.random) {
    this.#send = send;
    this.#timeoutMs = timeoutMs;
    this.#random = random;
  }

  /** True while the socket has joined the tracker (a `want` before that would close it). */
  get joined(): boolean {
    return this.#joined;
  }

  /** One tracker frame from the socket (peerjs's parsed JSON, unknown until parsed). */
  frame(message: unknown): void {
    const parsed = parseTrackerServerMessage(message);
    if (!parsed.ok) return;
    const m = parsed.value;
    if (m.type === 'joined') this.#joined = true;
    else if (m.type === 'availability') this.#counts(m.full, m.files);
    else if (m.type === 'peers' && this.#pending && m.requestId === this.#pending.requestId) this.#pending.done(m.peers);
  }

  /** The socket dropped: not joined until the next `joined`, and a rescue in flight has no answer. */
  down(): void {
    this.#joined = false;
    this.#pending?.done([]);
  }

  /** Holders of the site's most held file, nearest first; [] when not joined, nothing is held, or no answer comes in time. */
  holders(): Promise<readonly string[]> {
    const file = this.#mostHeld();
    if (!this.#joined || this.#pending || !file) return Promise.resolve([]);
    const requestId = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done([]), this.#timeoutMs);
      const done = (peers: readonly string[]): void => {
        clearTimeout(timer);
        if (this.#pending?.requestId === requestId) this.#pending = undefined;
        resolve(peers);
      };
      this.#pending = { requestId, done };
      if (!this.#send({ type: 'want', hash: file, requestId })) done([]);
    });
  }

  #counts(full: boolean, files: Readonly<Record<Sha256Sri, number>>): void {
    if (full) this.#files.clear();
    for (const file in files) {
      const count = files[file as Sha256Sri]!;
      if (count <= 0) this.#files.delete(file as Sha256Sri);
      else if (this.#files.has(file as Sha256Sri) || this.#files.size < MAX_FILES) this.#files.set(file as Sha256Sri, count);
      else this.#replaceLeast(file as Sha256Sri, count);
    }
  }

  /** A file held by more peers than the least held one kept takes its place. */
  #replaceLeast(file: Sha256Sri, count: number): void {
    let least: Sha256Sri | undefined;
    for (const [kept, held] of this.#files) if (least === undefined || held < this.#files.get(least)!) least = kept;
    if (least !== undefined && this.#files.get(least)! < count) {
      this.#files.delete(least);
      this.#files.set(file, count);
    }
  }

  /** The most held file (a random one among the equally most held: the tracker sees a spread of questions). */
  #mostHeld(): Sha256Sri | undefined {
    let best: Sha256Sri[] = [];
    let most = 0;
    for (const [file, count] of this.#files) {
      if (count > most) [best, most] = [[file], count];
      else if (count === most) best.push(file);
    }
    return best[Math.floor(this.#random() * best.length)];
  }
}
