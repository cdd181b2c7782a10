/**
 * Signalling state in this process's memory: ids the server issued, each bound to the first token
 * that claims it. Unclaimed ids expire after their TTL; they are pruned lazily, oldest first, from
 * an issue-order queue, so there is no timer and no scan. The number of unclaimed ids is capped
 * per address (the caller's cap) and in all, so a flood of `GET …/id` costs bounded memory (past
 * the overall cap the oldest unclaimed ids are forgotten first).
 */
import type { SignallingStore } from './store.js';

/** An issued id: unclaimed (token undefined, expiresAt) or bound to a token. */
interface IssuedId {
  token: string | undefined;
  readonly expiresAt: number;
  /** The address key it was issued to: its unclaimed count goes down when it is claimed or forgotten. */
  readonly address: string;
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
  /** Unclaimed ids per address; an address with none has no entry. */
  readonly #unclaimedAt = new Map<string, number>();
  readonly #maxUnclaimed: number;
  readonly #now: () => number;

  constructor(options: MemorySignallingStoreOptions = {}) {
    this.#maxUnclaimed = options.maxUnclaimed ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  issueId(id: string, ttlMs: number, address: string, maxPerAddress: number): boolean {
    const now = this.#now();
    this.#prune(now);
    const previous = this.#ids.get(id);
    if (previous !== undefined && previous.token !== undefined) return true; // already bound: issuing again changes nothing
    if ((this.#unclaimedAt.get(address) ?? 0) >= maxPerAddress && previous?.address !== address) return false;
    if (previous !== undefined) this.#forgetUnclaimed(previous);
    this.#ids.set(id, { token: undefined, expiresAt: now + ttlMs, address });
    this.#countUnclaimed(address, 1);
    this.#order.push(id);
    while (this.#unclaimed > this.#maxUnclaimed) this.#dropOldestUnclaimed();
    return true;
  }

  isIssued(id: string): boolean {
    const entry = this.#ids.get(id);
    return entry !== undefined && (entry.token !== undefined || this.#now() < entry.expiresAt);
  }

  claimId(id: string, token: string): boolean {
    const entry = this.#ids.get(id);
    if (entry === undefined) return false;
    if (entry.token !== undefined) return entry.token === token;
    this.#forgetUnclaimed(entry);
    if (this.#now() >= entry.expiresAt) {
      this.#ids.delete(id);
      return false;
    }
    entry.token = token;
    return true;
  }

  releaseId(id: string): void {
    const entry = this.#ids.get(id);
    if (entry === undefined) return;
    if (entry.token === undefined) this.#forgetUnclaimed(entry);
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
        this.#forgetUnclaimed(entry);
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
        this.#forgetUnclaimed(entry);
        break;
      }
    }
    this.#compact();
  }

  /** An unclaimed entry stops counting (claimed, expired or dropped). */
  #forgetUnclaimed(entry: IssuedId): void {
    this.#countUnclaimed(entry.address, -1);
  }

  #countUnclaimed(address: string, delta: number): void {
    this.#unclaimed += delta;
    const n = (this.#unclaimedAt.get(address) ?? 0) + delta;
    if (n > 0) this.#unclaimedAt.set(address, n);
    else this.#unclaimedAt.delete(address);
  }

  /** Drops the consumed front of the order queue once it is half of it (amortized O(1)). */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }
}
