/** The cache writes one pipeline started: a bound on how many are pending (backpressure), and their end. */

/** Pending IndexedDB writes of one pipeline. */
export class PendingWrites {
  private readonly writes = new Set<Promise<void>>();

  /** Tracks a write until it ends. */
  add(write: Promise<void>): void {
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  /** Resolves once fewer than `max` writes are pending: IndexedDB slower than the network must not pile up chunks in memory. */
  async below(max: number): Promise<void> {
    while (this.writes.size >= max) await Promise.race(this.writes);
  }

  /** Resolves when every write tracked (and any added meanwhile) has ended. */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }
}
