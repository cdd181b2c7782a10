/**
 * The cache writes of one pipeline: each verified chunk stored (none once the file is tainted), a
 * bound on how many writes are pending (backpressure), and their end.
 */
import type { ManifestFile } from '../protocol/index.js';
import type { ChunkCache } from './chunk-cache.js';

/** One file's chunk writes to the cache, each tracked until it ends. */
export class ChunkWrites {
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly cache: Pick<ChunkCache, 'isTainted' | 'storeChunk'>,
    private readonly file: ManifestFile,
    private readonly chunkSize: number,
    /** Keeps the SW alive for a write (the fetch event's waitUntil). */
    private readonly keepAlive: (work: Promise<unknown>) => void,
  ) {}

  /** Stores a verified chunk, unless the file is tainted. */
  store(index: number, bytes: Uint8Array): void {
    if (this.cache.isTainted(this.file.integrity)) return;
    const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    const write = this.cache.storeChunk({ ...this.file, chunkSize: this.chunkSize }, index, buffer as ArrayBuffer);
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
    this.keepAlive(write);
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
