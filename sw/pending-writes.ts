/** The cache writes one pipeline started: a bound on how many are pending (backpressure), and their end. */
import type { ManifestFile } from '../protocol/index.js';
import type { ChunkCache } from './chunk-cache.js';

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

/** One file's verified chunks written to the cache (none once the file is tainted), each tracked until it ends. */
export class ChunkWrites extends PendingWrites {
  constructor(
    private readonly cache: Pick<ChunkCache, 'isTainted' | 'storeChunk'>,
    private readonly file: ManifestFile,
    private readonly chunkSize: number,
    /** Keeps the SW alive for a write (the fetch event's waitUntil). */
    private readonly keepAlive: (work: Promise<unknown>) => void,
  ) {
    super();
  }

  store(index: number, bytes: Uint8Array): void {
    if (this.cache.isTainted(this.file.integrity)) return;
    const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    const write = this.cache.storeChunk({ ...this.file, chunkSize: this.chunkSize }, index, buffer as ArrayBuffer);
    this.add(write);
    this.keepAlive(write);
  }
}
