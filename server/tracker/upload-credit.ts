/**
 * What ranks a peer as an uploader: bytes other peers say they received from it, never its own
 * word. A receiver's claim about a sender counts only when the server saw the two pair
 * (recent-partners.ts), and it is capped twice: by the receiver's own allowance (a page cannot
 * receive more than a real link carries, whatever it claims to have got from whom), and by the
 * sender's allowance per receiver *network* (network-key.ts). So sockets on one network crediting
 * a friend add at most what one real receiver network could, and a peer that really serves many
 * networks ranks above one that is praised by one.
 */
import { ByteAllowance } from './byte-allowance.js';

/** Receiver networks a sender keeps an allowance for; the least recently credited goes first. */
export const MAX_CREDIT_NETWORKS = 16;
/** Seconds of credit an allowance holds at most: a page reports every 5 s, with room for a late report. */
export const CREDIT_BURST_SECONDS = 30;
/** A network first seen starts with this much time's worth (two of a page's 5 s stats intervals), or less if the sender is younger. */
const FIRST_CREDIT_MS = 10_000;

/** A sender's allowances, one per receiver network, each starting from the sender's join. */
export class UploadCredit {
  readonly #byNetwork = new Map<string, ByteAllowance>();

  constructor(
    private readonly bytesPerSecond: number,
    /** When the sender joined: nobody received from it before. */
    private readonly startMs: number,
  ) {}

  /** Takes up to `bytes` of credit from receivers on `network` at `now`; returns what was granted. */
  take(network: string, bytes: number, now: number): number {
    let allowance = this.#byNetwork.get(network);
    if (allowance) {
      this.#byNetwork.delete(network);
    } else {
      // Not from the join: a network evicted and seen again must not find minutes of credit waiting.
      allowance = new ByteAllowance(this.bytesPerSecond, CREDIT_BURST_SECONDS, Math.max(this.startMs, now - FIRST_CREDIT_MS));
      if (this.#byNetwork.size >= MAX_CREDIT_NETWORKS) this.#byNetwork.delete(this.#byNetwork.keys().next().value!);
    }
    this.#byNetwork.set(network, allowance);
    return allowance.take(bytes, now);
  }
}
