/**
 * Live signalling connections by peer id, plus the ids whose socket closed recently. A closed id
 * stays bound to its token for a grace period so that the same client can reconnect (the stock
 * client's `reconnect()` reuses id and token), and nobody else can take it meanwhile. Live
 * connections are also counted per client address (address-key.ts), for the per-address cap.
 */
import type { PeerConnection } from './peer-connection.js';

/** id → live connection, and id → when its binding may be released. */
export class PeerRegistry {
  readonly #live = new Map<string, PeerConnection>();
  // Insertion order is release order: every entry gets the same grace, and a re-close moves the
  // id to the end (delete, then set), so the sweep stops at the first entry not yet due.
  readonly #closed = new Map<string, number>();
  /** Live connections per address key; an address with none has no entry. */
  readonly #perAddress = new Map<string, number>();

  constructor(private readonly graceMs: number) {}

  /** Live connections. */
  get size(): number {
    return this.#live.size;
  }

  /** Live connections from one address key. */
  countAt(addressKey: string): number {
    return this.#perAddress.get(addressKey) ?? 0;
  }

  /** The live connection holding `id`. */
  get(id: string): PeerConnection | undefined {
    return this.#live.get(id);
  }

  /** True while `id` is live or within its reconnect grace: it is bound, not merely unknown. */
  isBound(id: string): boolean {
    return this.#live.has(id) || this.#closed.has(id);
  }

  /** Makes `conn` the live holder of its id; returns the connection it replaces, if any. */
  add(conn: PeerConnection): PeerConnection | undefined {
    const previous = this.#live.get(conn.id);
    if (previous !== undefined) this.#count(previous.addressKey, -1);
    this.#count(conn.addressKey, 1);
    this.#live.set(conn.id, conn);
    this.#closed.delete(conn.id);
    return previous;
  }

  /** Forgets `conn` if it is still the live holder of its id; true when it was. */
  remove(conn: PeerConnection, now: number): boolean {
    if (this.#live.get(conn.id) !== conn) return false;
    this.#count(conn.addressKey, -1);
    this.#live.delete(conn.id);
    this.#closed.delete(conn.id);
    this.#closed.set(conn.id, now + this.graceMs);
    return true;
  }

  /** Live connections, for the idle sweep. */
  values(): IterableIterator<PeerConnection> {
    return this.#live.values();
  }

  /** Calls `release(id)` for every closed id whose grace has passed, and forgets it. */
  releaseDue(now: number, release: (id: string) => void): void {
    for (const [id, at] of this.#closed) {
      if (at > now) return;
      this.#closed.delete(id);
      release(id);
    }
  }

  /** Forgets everything (server shutdown). */
  clear(): void {
    this.#live.clear();
    this.#closed.clear();
    this.#perAddress.clear();
  }

  #count(addressKey: string, delta: number): void {
    const n = (this.#perAddress.get(addressKey) ?? 0) + delta;
    if (n > 0) this.#perAddress.set(addressKey, n);
    else this.#perAddress.delete(addressKey);
  }
}
