/**
 * The cache writes of one pipeline: each verified chunk stored (none once the file is tainted), a
 * bound on how many writes are pending (backpressure), and their end.
 *
 * Write-behind: while its response streams, a pipeline holds its verified chunks back from
 * IndexedDB, within a byte budget the whole SW shares (WriteBehind), and writes them when the
 * response ends (`settled`). On a CPU-bound transfer an IndexedDB write is a large part of a
 * chunk's cost (the value cloned and wrapped on the SW's thread, stored by the browser process):
 * bench:p2p measured the SW fetch at 0.68× the raw channel with the writes, 0.88× without. What
 * the page waits for comes first; the store, which only makes this visitor a holder for the next
 * one, comes right after, as the origin route's copy does (origin-copier.ts). Past the budget,
 * chunks are written as they come, as before.
 */
import type { ManifestFile } from '../protocol/index.js';
import type { ChunkCache } from './chunk-cache.js';

/** 32 MiB: held back at most across the SW, over and above the bytes its responses hold anyway. */
export const WRITE_BEHIND_BYTES = 32 * 1024 * 1024;

/** The SW's budget of verified chunk bytes held back from the cache until their responses end. */
export class WriteBehind {
  #held = 0;

  constructor(readonly limitBytes = WRITE_BEHIND_BYTES) {}

  /** Bytes held back now. */
  get heldBytes(): number {
    return this.#held;
  }

  /** Takes `bytes` of the budget; false when they do not fit. */
  take(bytes: number): boolean {
    if (this.#held + bytes > this.limitBytes) return false;
    this.#held += bytes;
    return true;
  }

  /** Gives `bytes` back. */
  give(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
  }
}

/** One file's chunk writes to the cache, each tracked until it ends. */
export class ChunkWrites {
  private readonly writes = new Set<Promise<void>>();
  /** Chunks held back (write-behind), in arrival order. */
  private held: { readonly index: number; readonly buffer: ArrayBuffer }[] = [];

  constructor(
    private readonly cache: Pick<ChunkCache, 'isTainted' | 'storeChunk'>,
    private readonly file: ManifestFile,
    private readonly chunkSize: number,
    /** Keeps the SW alive for a write (the fetch event's waitUntil). */
    private readonly keepAlive: (work: Promise<unknown>) => void,
    /** The SW's write-behind budget; absent: every chunk is written as it comes. */
    private readonly behind?: WriteBehind,
  ) {}

  /** Stores a verified chunk (now, or when the response ends), unless the file is tainted. */
  store(index: number, bytes: Uint8Array): void {
    if (this.cache.isTainted(this.file.integrity)) return;
    const buffer = (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
    if (this.behind?.take(buffer.byteLength)) this.held.push({ index, buffer });
    else this.write(index, buffer);
  }

  /** Resolves once fewer than `max` writes are pending: IndexedDB slower than the network must not pile up chunks in memory. */
  async below(max: number): Promise<void> {
    while (this.writes.size >= max) await Promise.race(this.writes);
  }

  /** Writes every chunk held back, then resolves when every write tracked (and any added meanwhile) has ended. */
  async settled(): Promise<void> {
    const held = this.held;
    this.held = [];
    for (const { index, buffer } of held) {
      this.behind?.give(buffer.byteLength);
      if (!this.cache.isTainted(this.file.integrity)) this.write(index, buffer);
    }
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  private write(index: number, buffer: ArrayBuffer): void {
    const write = this.cache.storeChunk({ ...this.file, chunkSize: this.chunkSize }, index, buffer);
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
    this.keepAlive(write);
  }
}
