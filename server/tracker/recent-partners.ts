/**
 * The peers the server saw one peer negotiate with (a relayed ANSWER, in either direction), kept
 * on that peer's tracker session for a while. It is the one fact about two peers no client can
 * make up, so reports and upload credit only count between partners. Bounded per peer: the
 * oldest pairing goes first, and a pairing older than the TTL no longer counts.
 */

/** Partners remembered per peer: a page keeps 8 connections by default, and replaces some as it browses. */
export const MAX_PARTNERS = 32;

/** One peer's recent partners, by id, with the time each pairing was last seen. */
export class RecentPartners {
  readonly #seen = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  /** The server relayed an ANSWER between this peer and `peerId` at `at` (ms). */
  note(peerId: string, at: number): void {
    // Re-inserted, so the Map's order is the order of the latest pairings: the oldest is evicted first.
    this.#seen.delete(peerId);
    this.#seen.set(peerId, at);
    if (this.#seen.size > MAX_PARTNERS) this.#seen.delete(this.#seen.keys().next().value!);
  }

  /** True when this peer paired with `peerId` within the TTL before `now`. */
  has(peerId: string, now: number): boolean {
    const at = this.#seen.get(peerId);
    return at !== undefined && now - at <= this.ttlMs;
  }

  /** How many pairings are remembered (expired ones included until evicted). */
  get size(): number {
    return this.#seen.size;
  }
}
