/**
 * The verified chunk cache in IndexedDB: chunk bytes by chunk SRI (CACHE_STORES.chunks), one
 * record per file (CACHE_STORES.files). Bounded by cacheBytes with LRU eviction by file. The SW is
 * the only writer, and every mutation runs through one queue (./batched-writer.ts) so the
 * in-memory index (./cache-index.ts: records and chunk reference counts) always matches what was
 * written. Chunks are written before the record that names them and deleted after it, so a crash
 * leaves at worst orphan chunks, swept at start.
 */
import { createStore, del, delMany, entries, get, keys, set, setMany, type UseStore } from 'idb-keyval';
import type { Sha256Sri } from '../protocol/index.js';
import { CACHE_STORES } from '../protocol/messages/sw-page.js';
import { BatchedWriter } from './batched-writer.js';
import { CacheIndex, holdChunk, type StoreJob } from './cache-index.js';
import { withDeadline, TIMED_OUT } from './deadline.js';
import { emptyRecord, type CachedFileShape } from './file-record.js';
import { TaintSet } from './taint-set.js';

/** 10 s: IndexedDB answers in milliseconds; a wedged database must not wedge every response. */
const IDB_TIMEOUT_MS = 10_000;

/**
 * Chunks written in one IndexedDB transaction at most (4 MiB at 256 KiB chunks). One transaction
 * per chunk (and one more for its record) made the cache, not the data channel, the limit of a
 * peer download: ~20 ms per chunk under load, 13 MB/s, while a batch costs little more than one.
 */
const MAX_BATCH_CHUNKS = 16;

/**
 * Told when files become complete (announce `have`) or complete files leave (announce `lost`).
 * The cache's callers wait for these too (so the SW stays alive for them), but its queue does not.
 */
export interface CacheEvents {
  onComplete(files: readonly Sha256Sri[]): Promise<void>;
  onWithdraw(files: readonly Sha256Sri[]): Promise<void>;
}

async function bounded<T>(promise: Promise<T>): Promise<T> {
  const result = await withDeadline(promise, IDB_TIMEOUT_MS);
  if (result === TIMED_OUT) throw new Error('IndexedDB did not answer in time');
  return result;
}

/** The SW's chunk cache. */
export class ChunkCache {
  private readonly chunkStore: UseStore;
  private readonly fileStore: UseStore;
  private readonly index = new CacheIndex();
  private readonly tainted = new TaintSet();
  private readonly writer: BatchedWriter<StoreJob>;
  /** Settles once the index is built from IndexedDB (empty if that failed). */
  readonly ready: Promise<void>;

  constructor(private readonly events: CacheEvents) {
    this.chunkStore = createStore(CACHE_STORES.chunks.db, CACHE_STORES.chunks.store);
    this.fileStore = createStore(CACHE_STORES.files.db, CACHE_STORES.files.store);
    this.ready = this.load().catch(() => undefined);
    this.writer = new BatchedWriter(this.ready, (jobs) => this.storeBatch(jobs), MAX_BATCH_CHUNKS);
  }

  /** True when the chunk's bytes are in the store (verified when written). */
  hasChunk(chunk: Sha256Sri): boolean {
    return this.index.hasChunk(chunk);
  }

  /** A stored chunk's bytes (the caller verifies them again), or undefined. */
  async readChunk(chunk: Sha256Sri): Promise<ArrayBuffer | undefined> {
    if (!this.hasChunk(chunk)) return undefined;
    const value = await bounded(get<unknown>(chunk, this.chunkStore)).catch(() => undefined);
    return value instanceof ArrayBuffer ? value : undefined;
  }

  /** Complete files, for a bridge's first announce. */
  completeFiles(): Sha256Sri[] {
    return this.index.completeFiles();
  }

  /** How many files are complete (stats). */
  completeCount(): number {
    return this.index.completeCount();
  }

  /** The file's origin bytes did not match the manifest: cache and announce nothing of it. */
  taint(file: Sha256Sri): void {
    this.tainted.add(file);
  }

  /** True when the file was tainted under the current manifest. */
  isTainted(file: Sha256Sri): boolean {
    return this.tainted.has(file);
  }

  /** A new manifest version: the origin gets a fresh chance with every file. */
  clearTaints(): void {
    this.tainted.clear();
  }

  /** Sets the bound and evicts down to it. */
  setLimit(bytes: number): Promise<void> {
    this.index.limitBytes = bytes;
    return this.writer.enqueue(() => this.evictFor(0, new Set()).then(() => undefined));
  }

  /** Marks a file used now (LRU); persisted with the record. */
  touch(file: Sha256Sri): Promise<void> {
    return this.writer.enqueue(async () => {
      const record = this.index.record(file);
      if (!record) return;
      const touched = { ...record, lastUsed: Date.now() };
      this.index.replace(touched);
      await bounded(set(file, touched, this.fileStore));
    });
  }

  /** Stores one verified chunk of a file; never rejects (a cache that cannot write just caches less). */
  storeChunk(shape: CachedFileShape, index: number, bytes: ArrayBuffer): Promise<void> {
    // Stores that arrive while another task runs share one queued task (and its transactions).
    return this.writer.add({ shape, index, bytes });
  }

  /** A stored chunk that failed its check or vanished: forget it everywhere. */
  dropChunk(chunk: Sha256Sri): Promise<void> {
    return this.writer.enqueue(async () => {
      const withdrawn: Sha256Sri[] = [];
      for (const next of this.index.withoutChunk(chunk)) {
        if (this.index.record(next.file)?.complete) withdrawn.push(next.file);
        this.index.replace(next);
        await bounded(set(next.file, next, this.fileStore));
      }
      this.index.forgetChunk(chunk);
      await bounded(del(chunk, this.chunkStore));
      if (withdrawn.length > 0) this.writer.raise(this.events.onWithdraw(withdrawn));
    });
  }

  private async load(): Promise<void> {
    const broken = this.index.load(await bounded(entries<IDBValidKey, unknown>(this.fileStore)));
    if (broken.length > 0) await bounded(delMany(broken, this.fileStore));
    // Orphans: chunks written by a SW that died before writing their record.
    const orphans = this.index.orphans(await bounded(keys(this.chunkStore)));
    if (orphans.length > 0) await bounded(delMany(orphans, this.chunkStore));
  }

  private async store({ shape, index, bytes }: StoreJob): Promise<void> {
    const chunk = shape.chunks[index];
    if (chunk === undefined || this.tainted.has(shape.integrity)) return;
    // Same content cut at another chunk size by a newer manifest: the old record names other chunks.
    const stale = this.index.staleRecord(shape);
    if (stale) await this.evictFiles([stale.file]);
    const record = this.index.record(shape.integrity) ?? emptyRecord(shape, Date.now());
    if (record.held[index]) return;
    const size = bytes.byteLength;
    const incoming = this.hasChunk(chunk) ? 0 : size;
    if (incoming > 0) {
      if (!(await this.evictFor(incoming, new Set([shape.integrity])))) return;
      await bounded(set(chunk, bytes, this.chunkStore));
    }
    const next = holdChunk(record, index, Date.now());
    try {
      await bounded(set(next.file, next, this.fileStore));
    } catch (error) {
      // The record did not land: the chunk is an orphan unless another file already held it.
      if (incoming > 0) await bounded(del(chunk, this.chunkStore)).catch(() => undefined);
      throw error;
    }
    const completed = this.index.commit([next], [{ chunk, size }]);
    if (completed.length > 0) this.writer.raise(this.events.onComplete(completed));
  }

  /**
   * Stores several chunks: their bytes in one transaction, then the records naming them in one
   * more (chunks before records, as in store()). A batch that needs eviction, or one whose write
   * fails, is stored chunk by chunk instead, so each chunk keeps the outcome it would have alone.
   */
  private async storeBatch(jobs: readonly StoreJob[]): Promise<void> {
    if (jobs.length === 1 || !(await this.tryStoreTogether(jobs))) {
      for (const job of jobs) await this.store(job).catch(() => undefined);
    }
  }

  /** The batch written together; false (nothing changed) when it does not qualify or did not land. */
  private async tryStoreTogether(jobs: readonly StoreJob[]): Promise<boolean> {
    const plan = this.index.planBatch(jobs, (file) => this.tainted.has(file), Date.now());
    if (!plan) return false;
    if (plan.records.size === 0) return true;
    if (this.index.storedBytes + plan.incomingBytes > this.index.limitBytes) return false;
    if (plan.incoming.size > 0) {
      if (!(await bounded(setMany([...plan.incoming], this.chunkStore)).then(() => true, () => false))) return false;
    }
    const landed = await bounded(setMany([...plan.records], this.fileStore)).then(() => true, () => false);
    if (!landed) {
      // The records did not land: the new chunks are orphans (store() writes them again).
      if (plan.incoming.size > 0) await bounded(delMany([...plan.incoming.keys()], this.chunkStore)).catch(() => undefined);
      return false;
    }
    const completed = this.index.commit(plan.records.values(), plan.added);
    if (completed.length > 0) this.writer.raise(this.events.onComplete(completed));
    return true;
  }

  /** Makes room for `incoming` bytes; false when it cannot (the chunk then goes uncached). */
  private async evictFor(incoming: number, protect: ReadonlySet<Sha256Sri>): Promise<boolean> {
    const plan = this.index.planEviction(incoming, protect);
    if (plan.evictFiles.length > 0 && (plan.fits || incoming === 0)) await this.evictFiles(plan.evictFiles);
    return plan.fits;
  }

  /** Removes whole files: records first, then the chunks no remaining record holds. */
  private async evictFiles(files: readonly Sha256Sri[]): Promise<void> {
    const present = files.filter((f) => this.index.record(f) !== undefined);
    await bounded(delMany(present, this.fileStore));
    const { freed, withdrawn } = this.index.removeFiles(present);
    if (freed.length > 0) await bounded(delMany(freed, this.chunkStore)).catch(() => undefined);
    if (withdrawn.length > 0) this.writer.raise(this.events.onWithdraw(withdrawn));
  }
}
