/**
 * The verified chunk cache in IndexedDB: chunk bytes by chunk SRI (CACHE_STORES.chunks), one
 * record per file (CACHE_STORES.files). Bounded by cacheBytes with LRU eviction by file. The SW is
 * the only writer, and every mutation runs through one queue so the in-memory index (records and
 * chunk reference counts) always matches what was written. Chunks are written before the record
 * that names them and deleted after it, so a crash leaves at worst orphan chunks, swept at start.
 */
import { createStore, del, delMany, entries, get, keys, set, setMany, type UseStore } from 'idb-keyval';
import type { Sha256Sri } from '../protocol/index.js';
import { CACHE_STORES, SW_DEFAULTS } from '../protocol/messages/sw-page.js';
import { withDeadline, TIMED_OUT } from './deadline.js';
import { planEviction } from './eviction-plan.js';
import { emptyRecord, parseFileRecord, recordChunkLength, withHeld, type CachedFileShape, type FileRecord } from './file-record.js';

/** 10 s: IndexedDB answers in milliseconds; a wedged database must not wedge every response. */
const IDB_TIMEOUT_MS = 10_000;

/**
 * Chunks written in one IndexedDB transaction at most (4 MiB at 256 KiB chunks). One transaction
 * per chunk (and one more for its record) made the cache, not the data channel, the limit of a
 * peer download: ~20 ms per chunk under load, 13 MB/s, while a batch costs little more than one.
 */
const MAX_BATCH_CHUNKS = 16;

/** One storeChunk call waiting for its batch. */
interface StoreJob {
  readonly shape: CachedFileShape;
  readonly index: number;
  readonly bytes: ArrayBuffer;
}

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
  private readonly records = new Map<Sha256Sri, FileRecord>();
  /** Chunk → held positions across all records; a chunk is in the store exactly when this is > 0. */
  private readonly refs = new Map<Sha256Sri, number>();
  private readonly sizes = new Map<Sha256Sri, number>();
  private readonly tainted = new Set<Sha256Sri>();
  private storedBytes = 0;
  private limitBytes: number = SW_DEFAULTS.cacheBytes;
  private queue: Promise<unknown>;
  /** Announcements raised by the task running now; its caller awaits them. */
  private raised: Promise<void>[] = [];
  /** Stores queued behind the running task, written together when their turn comes. */
  private batch: { jobs: StoreJob[]; done: Promise<void> } | undefined;
  /** Settles once the index is built from IndexedDB (empty if that failed). */
  readonly ready: Promise<void>;

  constructor(private readonly events: CacheEvents) {
    this.chunkStore = createStore(CACHE_STORES.chunks.db, CACHE_STORES.chunks.store);
    this.fileStore = createStore(CACHE_STORES.files.db, CACHE_STORES.files.store);
    this.ready = this.load().catch(() => undefined);
    this.queue = this.ready;
  }

  /** True when the chunk's bytes are in the store (verified when written). */
  hasChunk(chunk: Sha256Sri): boolean {
    return (this.refs.get(chunk) ?? 0) > 0;
  }

  /** A stored chunk's bytes (the caller verifies them again), or undefined. */
  async readChunk(chunk: Sha256Sri): Promise<ArrayBuffer | undefined> {
    if (!this.hasChunk(chunk)) return undefined;
    const value = await bounded(get<unknown>(chunk, this.chunkStore)).catch(() => undefined);
    return value instanceof ArrayBuffer ? value : undefined;
  }

  /** Complete files, for a bridge's first announce. */
  completeFiles(): Sha256Sri[] {
    return [...this.records.values()].filter((r) => r.complete).map((r) => r.file);
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
    this.limitBytes = bytes;
    return this.enqueue(() => this.evictFor(0, new Set()).then(() => undefined));
  }

  /** Marks a file used now (LRU); persisted with the record. */
  touch(file: Sha256Sri): Promise<void> {
    return this.enqueue(async () => {
      const record = this.records.get(file);
      if (!record) return;
      const touched = { ...record, lastUsed: Date.now() };
      this.records.set(file, touched);
      await bounded(set(file, touched, this.fileStore));
    });
  }

  /** Stores one verified chunk of a file; never rejects (a cache that cannot write just caches less). */
  storeChunk(shape: CachedFileShape, index: number, bytes: ArrayBuffer): Promise<void> {
    // Stores that arrive while another task runs share one queued task (and its transactions).
    const open = this.batch;
    if (open && open.jobs.length < MAX_BATCH_CHUNKS) {
      open.jobs.push({ shape, index, bytes });
      return open.done;
    }
    const jobs: StoreJob[] = [{ shape, index, bytes }];
    const batch = {
      jobs,
      done: this.enqueue(() => {
        // From here on, new stores start a batch of their own.
        if (this.batch === batch) this.batch = undefined;
        return this.storeBatch(jobs);
      }),
    };
    this.batch = batch;
    return batch.done;
  }

  /** A stored chunk that failed its check or vanished: forget it everywhere. */
  dropChunk(chunk: Sha256Sri): Promise<void> {
    return this.enqueue(async () => {
      const withdrawn: Sha256Sri[] = [];
      for (const record of [...this.records.values()]) {
        if (!record.chunks.includes(chunk)) continue;
        const next = withHeld(record, record.held.map((h, i) => h && record.chunks[i] !== chunk));
        if (record.complete) withdrawn.push(record.file);
        this.records.set(record.file, next);
        await bounded(set(record.file, next, this.fileStore));
      }
      if (this.hasChunk(chunk)) this.storedBytes -= this.sizes.get(chunk) ?? 0;
      this.refs.delete(chunk);
      this.sizes.delete(chunk);
      await bounded(del(chunk, this.chunkStore));
      if (withdrawn.length > 0) this.raise(this.events.onWithdraw(withdrawn));
    });
  }

  private enqueue(task: () => Promise<unknown>): Promise<void> {
    const raised: Promise<void>[] = [];
    // Tasks run one at a time, so `this.raised` always belongs to the task running now.
    const body = async (): Promise<void> => {
      this.raised = raised;
      try {
        await task();
      } finally {
        this.raised = [];
      }
    };
    const run = this.queue.then(body, body).catch(() => undefined);
    this.queue = run;
    return run.then(() => Promise.all(raised)).then(() => undefined, () => undefined);
  }

  private raise(announcement: Promise<void>): void {
    this.raised.push(announcement.catch(() => undefined));
  }

  private async load(): Promise<void> {
    const rows = await bounded(entries<IDBValidKey, unknown>(this.fileStore));
    const broken: IDBValidKey[] = [];
    for (const [key, value] of rows) {
      const record = parseFileRecord(value);
      if (!record || record.file !== key) {
        broken.push(key);
        continue;
      }
      this.records.set(record.file, record);
      record.held.forEach((h, i) => h && this.addRef(record.chunks[i]!, recordChunkLength(record, i)));
    }
    if (broken.length > 0) await bounded(delMany(broken, this.fileStore));
    // Orphans: chunks written by a SW that died before writing their record.
    const stored = await bounded(keys(this.chunkStore));
    const orphans = stored.filter((k) => typeof k !== 'string' || !this.refs.has(k as Sha256Sri));
    if (orphans.length > 0) await bounded(delMany(orphans, this.chunkStore));
  }

  private addRef(chunk: Sha256Sri, size: number): void {
    const n = this.refs.get(chunk) ?? 0;
    if (n === 0) {
      this.storedBytes += size;
      this.sizes.set(chunk, size);
    }
    this.refs.set(chunk, n + 1);
  }

  private async store(shape: CachedFileShape, index: number, bytes: ArrayBuffer): Promise<void> {
    const chunk = shape.chunks[index];
    if (chunk === undefined || this.tainted.has(shape.integrity)) return;
    let record = this.records.get(shape.integrity);
    if (record && record.chunkSize !== shape.chunkSize) {
      // Same content cut at another chunk size by a newer manifest: the old record names other chunks.
      await this.evictFiles([record.file]);
      record = undefined;
    }
    record ??= emptyRecord(shape, Date.now());
    if (record.held[index]) return;
    const size = bytes.byteLength;
    const incoming = this.hasChunk(chunk) ? 0 : size;
    if (incoming > 0) {
      if (!(await this.evictFor(incoming, new Set([shape.integrity])))) return;
      await bounded(set(chunk, bytes, this.chunkStore));
    }
    const held = record.held.slice();
    held[index] = true;
    const next = withHeld(record, held, Date.now());
    try {
      await bounded(set(next.file, next, this.fileStore));
    } catch (error) {
      // The record did not land: the chunk is an orphan unless another file already held it.
      if (incoming > 0) await bounded(del(chunk, this.chunkStore)).catch(() => undefined);
      throw error;
    }
    this.records.set(next.file, next);
    this.addRef(chunk, size);
    if (next.complete && !record.complete) this.raise(this.events.onComplete([next.file]));
  }

  /**
   * Stores several chunks: their bytes in one transaction, then the records naming them in one
   * more (chunks before records, as in store()). A batch that needs eviction, or one whose write
   * fails, is stored chunk by chunk instead, so each chunk keeps the outcome it would have alone.
   */
  private async storeBatch(jobs: readonly StoreJob[]): Promise<void> {
    if (jobs.length === 1 || !(await this.tryStoreTogether(jobs))) {
      for (const job of jobs) await this.store(job.shape, job.index, job.bytes).catch(() => undefined);
    }
  }

  /** The batch written together; false (nothing changed) when it does not qualify or did not land. */
  private async tryStoreTogether(jobs: readonly StoreJob[]): Promise<boolean> {
    const next = new Map<Sha256Sri, FileRecord>();
    const incoming = new Map<Sha256Sri, ArrayBuffer>();
    const added: { chunk: Sha256Sri; size: number }[] = [];
    for (const { shape, index, bytes } of jobs) {
      const chunk = shape.chunks[index];
      if (chunk === undefined || this.tainted.has(shape.integrity)) continue;
      const current = next.get(shape.integrity) ?? this.records.get(shape.integrity);
      // Another chunk size needs an eviction first: store() handles that case.
      if (current && current.chunkSize !== shape.chunkSize) return false;
      const record = current ?? emptyRecord(shape, Date.now());
      if (record.held[index]) continue;
      if (!this.hasChunk(chunk) && !incoming.has(chunk)) incoming.set(chunk, bytes);
      const held = record.held.slice();
      held[index] = true;
      next.set(shape.integrity, withHeld(record, held, Date.now()));
      added.push({ chunk, size: bytes.byteLength });
    }
    if (next.size === 0) return true;
    let incomingBytes = 0;
    for (const bytes of incoming.values()) incomingBytes += bytes.byteLength;
    if (this.storedBytes + incomingBytes > this.limitBytes) return false;
    if (incoming.size > 0) {
      if (!(await bounded(setMany([...incoming], this.chunkStore)).then(() => true, () => false))) return false;
    }
    const landed = await bounded(setMany([...next].map(([file, record]) => [file, record]), this.fileStore)).then(() => true, () => false);
    if (!landed) {
      // The records did not land: the new chunks are orphans (store() below writes them again).
      if (incoming.size > 0) await bounded(delMany([...incoming.keys()], this.chunkStore)).catch(() => undefined);
      return false;
    }
    const completed: Sha256Sri[] = [];
    for (const [file, record] of next) {
      if (record.complete && !this.records.get(file)?.complete) completed.push(file);
      this.records.set(file, record);
    }
    for (const { chunk, size } of added) this.addRef(chunk, size);
    if (completed.length > 0) this.raise(this.events.onComplete(completed));
    return true;
  }

  /** Makes room for `incoming` bytes; false when it cannot (the chunk then goes uncached). */
  private async evictFor(incoming: number, protect: ReadonlySet<Sha256Sri>): Promise<boolean> {
    const plan = planEviction({
      candidates: [...this.records.values()].map((r) => ({
        file: r.file,
        lastUsed: r.lastUsed,
        held: r.chunks.flatMap((chunk, i) => (r.held[i] ? [{ chunk, size: recordChunkLength(r, i) }] : [])),
      })),
      refcounts: this.refs,
      storedBytes: this.storedBytes,
      limitBytes: this.limitBytes,
      incomingBytes: incoming,
      protect,
    });
    if (plan.evictFiles.length > 0 && (plan.fits || incoming === 0)) await this.evictFiles(plan.evictFiles);
    return plan.fits;
  }

  /** Removes whole files: records first, then the chunks no remaining record holds. */
  private async evictFiles(files: readonly Sha256Sri[]): Promise<void> {
    const gone = files.map((f) => this.records.get(f)).filter((r): r is FileRecord => r !== undefined);
    await bounded(delMany(gone.map((r) => r.file), this.fileStore));
    const freed: Sha256Sri[] = [];
    for (const record of gone) {
      this.records.delete(record.file);
      record.held.forEach((h, i) => {
        if (!h) return;
        const chunk = record.chunks[i]!;
        const n = (this.refs.get(chunk) ?? 0) - 1;
        if (n > 0) {
          this.refs.set(chunk, n);
          return;
        }
        this.refs.delete(chunk);
        this.storedBytes -= this.sizes.get(chunk) ?? 0;
        this.sizes.delete(chunk);
        freed.push(chunk);
      });
    }
    if (freed.length > 0) await bounded(delMany(freed, this.chunkStore)).catch(() => undefined);
    const withdrawn = gone.filter((r) => r.complete).map((r) => r.file);
    if (withdrawn.length > 0) this.raise(this.events.onWithdraw(withdrawn));
  }
}
