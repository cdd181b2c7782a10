/**
 * Signalling state in this process's memory: ids the server issued, each bound to the first token
 * that claims it. Unclaimed ids expire after their TTL; they are pruned lazily, oldest first, from
 * an issue-order queue, so there is no timer and no scan. The number of unclaimed ids is capped,
 * so a flood of `GET …/id` costs bounded memory (the oldest unclaimed ids are forgotten first).
 */
import type { SignallingStore } from './store.js';

/** An issued id: unclaimed (token undefined, expiresAt) or bound to a token. */
interface IssuedId {
  token: string | undefined;
  readonly expiresAt: number;
}

/** Options for tests and tuning. */
export interface MemorySignallingStoreOptions {
  /** Unclaimed ids kept at most; default 100,000 (a few MB). */
  readonly maxUnclaimed?: number;
  /** The clock, ms; default Date.now. */
  readonly now?: () => number;
}

/** The default signalling store. */
export class MemorySignallingStore implements SignallingStore {
  readonly #ids = new Map<string, IssuedId>();
  /** Issued ids in issue order (claimed ones are skipped when reached); #head is the next to look at. */
  #order: string[] = [];
  #head = 0;
  #unclaimed = 0;
  readonly #maxUnclaimed: number;
  readonly #now: () => number;

  constructor(options: MemorySignallingStoreOptions = {}) {
    this.#maxUnclaimed = options.maxUnclaimed ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  issueId(id: string, ttlMs: number): void {
    const now = this.#now();
    this.#prune(now);
    const previous = this.#ids.get(id);
    if (previous !== undefined && previous.token !== undefined) return; // already bound: issuing again changes nothing
    if (previous === undefined) this.#unclaimed += 1;
    this.#ids.set(id, { token: undefined, expiresAt: now + ttlMs });
    this.#order.push(id);
    while (this.#unclaimed > this.#maxUnclaimed) this.#dropOldestUnclaimed();
  }

  claimId(id: string, token: string): boolean {
    const entry = this.#ids.get(id);
    if (entry === undefined) return false;
    if (entry.token !== undefined) return entry.token === token;
    if (this.#now() >= entry.expiresAt) {
      this.#ids.delete(id);
      this.#unclaimed -= 1;
      return false;
    }
    entry.token = token;
    this.#unclaimed -= 1;
    return true;
  }

  releaseId(id: string): void {
    const entry = this.#ids.get(id);
    if (entry === undefined) return;
    if (entry.token === undefined) this.#unclaimed -= 1;
    this.#ids.delete(id);
  }

  counts(): { issuedIds: number } {
    this.#prune(this.#now());
    return { issuedIds: this.#ids.size };
  }

  /** Forgets unclaimed ids past their TTL, from the oldest, stopping at the first still valid. */
  #prune(now: number): void {
    while (this.#head < this.#order.length) {
      const id = this.#order[this.#head]!;
      const entry = this.#ids.get(id);
      if (entry !== undefined && entry.token === undefined) {
        if (now < entry.expiresAt) break;
        this.#ids.delete(id);
        this.#unclaimed -= 1;
      }
      this.#head += 1;
    }
    this.#compact();
  }

  #dropOldestUnclaimed(): void {
    while (this.#head < this.#order.length) {
      const id = this.#order[this.#head++]!;
      const entry = this.#ids.get(id);
      if (entry !== undefined && entry.token === undefined) {
        this.#ids.delete(id);
        this.#unclaimed -= 1;
        break;
      }
    }
    this.#compact();
  }

  /** Drops the consumed front of the order queue once it is half of it (amortized O(1)). */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }
}
