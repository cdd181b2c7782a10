/**
 * The chunk cache's in-memory index, pure (no IndexedDB): one record per cached file, how many
 * held positions reference each chunk (content-addressed chunks may be shared by files), the
 * bytes stored, and the plans made from them (eviction, a batch of stores). ChunkCache changes it
 * only around the writes it mirrors, so it always says what the stores hold; answering from
 * memory is what lets the routing decision and hasChunk stay synchronous.
 */
import type { Sha256Sri } from '../protocol/index.js';
import { SW_DEFAULTS } from '../protocol/messages/sw-page.js';
import { planEviction, type EvictionPlan } from './eviction-plan.js';
import { emptyRecord, parseFileRecord, recordChunkLength, withHeld, type CachedFileShape, type FileRecord } from './file-record.js';

/** One verified chunk of a file, to be stored. */
export interface StoreJob {
  readonly shape: CachedFileShape;
  readonly index: number;
  readonly bytes: ArrayBuffer;
}

/** A chunk position a store adds, for the reference counts. */
export interface HeldChunk {
  readonly chunk: Sha256Sri;
  readonly size: number;
}

/** What a batch of stores writes when written together. */
export interface BatchPlan {
  /** The records after the batch, one per file it touches. */
  readonly records: ReadonlyMap<Sha256Sri, FileRecord>;
  /** Chunks not in the store yet, each once, with their bytes. */
  readonly incoming: ReadonlyMap<Sha256Sri, ArrayBuffer>;
  readonly incomingBytes: number;
  readonly added: readonly HeldChunk[];
}

/** The record with chunk `index` held too, used at `now`. */
export function holdChunk(record: FileRecord, index: number, now: number): FileRecord {
  const held = record.held.slice();
  held[index] = true;
  return withHeld(record, held, now);
}

/** The chunk cache's index: what is stored, by file and by chunk. */
export class CacheIndex {
  private readonly files = new Map<Sha256Sri, FileRecord>();
  /** Chunk → held positions across all records; a chunk is in the store exactly when this is > 0. */
  private readonly refs = new Map<Sha256Sri, number>();
  private readonly sizes = new Map<Sha256Sri, number>();
  private stored = 0;
  /** The bound on stored bytes (unique chunks). */
  limitBytes: number = SW_DEFAULTS.cacheBytes;

  /** Bytes of the unique chunks stored. */
  get storedBytes(): number {
    return this.stored;
  }

  /** True when the chunk's bytes are in the store. */
  hasChunk(chunk: Sha256Sri): boolean {
    return (this.refs.get(chunk) ?? 0) > 0;
  }

  /** The file's record, if it is cached. */
  record(file: Sha256Sri): FileRecord | undefined {
    return this.files.get(file);
  }

  /** Every record, in insertion order. */
  records(): FileRecord[] {
    return [...this.files.values()];
  }

  /** Complete files (every chunk held), for a bridge's first announce. */
  completeFiles(): Sha256Sri[] {
    return this.records().filter((r) => r.complete).map((r) => r.file);
  }

  /** How many files are complete (stats), without building the list. */
  completeCount(): number {
    let n = 0;
    for (const record of this.files.values()) if (record.complete) n += 1;
    return n;
  }

  /**
   * Takes the file store's rows as read back at start; returns the keys of the rows that do not
   * parse or sit under another file's key (to be deleted, never trusted).
   */
  load(rows: Iterable<readonly [IDBValidKey, unknown]>): IDBValidKey[] {
    const broken: IDBValidKey[] = [];
    for (const [key, value] of rows) {
      const record = parseFileRecord(value);
      if (!record || record.file !== key) {
        broken.push(key);
        continue;
      }
      this.files.set(record.file, record);
      record.held.forEach((h, i) => h && this.addRef(record.chunks[i]!, recordChunkLength(record, i)));
    }
    return broken;
  }

  /** Of the chunk store's keys, those no record holds (written by a SW that died before their record). */
  orphans(storedKeys: readonly IDBValidKey[]): IDBValidKey[] {
    return storedKeys.filter((k) => typeof k !== 'string' || !this.refs.has(k as Sha256Sri));
  }

  /** Replaces a record whose held chunks the reference counts already reflect (a touch, a dropped chunk). */
  replace(record: FileRecord): void {
    this.files.set(record.file, record);
  }

  /** The file's record with another chunk size than `shape` (a newer manifest cut it anew): it must go first. */
  staleRecord(shape: CachedFileShape): FileRecord | undefined {
    const record = this.files.get(shape.integrity);
    return record && record.chunkSize !== shape.chunkSize ? record : undefined;
  }

  /** Sets records that hold `added` more chunk positions; returns the files this made complete. */
  commit(records: Iterable<FileRecord>, added: readonly HeldChunk[]): Sha256Sri[] {
    const completed: Sha256Sri[] = [];
    for (const record of records) {
      if (record.complete && !this.files.get(record.file)?.complete) completed.push(record.file);
      this.files.set(record.file, record);
    }
    for (const { chunk, size } of added) this.addRef(chunk, size);
    return completed;
  }

  /** The smallest LRU eviction that makes room for `incoming` bytes, never evicting `protect`. */
  planEviction(incoming: number, protect: ReadonlySet<Sha256Sri>): EvictionPlan {
    return planEviction({
      candidates: this.records().map((r) => ({
        file: r.file,
        lastUsed: r.lastUsed,
        held: r.chunks.flatMap((chunk, i) => (r.held[i] ? [{ chunk, size: recordChunkLength(r, i) }] : [])),
      })),
      refcounts: this.refs,
      storedBytes: this.stored,
      limitBytes: this.limitBytes,
      incomingBytes: incoming,
      protect,
    });
  }

  /**
   * Forgets whole files (their records are gone from the store); returns the chunks no remaining
   * record holds (to delete) and the removed files that were complete (to withdraw).
   */
  removeFiles(files: readonly Sha256Sri[]): { freed: Sha256Sri[]; withdrawn: Sha256Sri[] } {
    const freed: Sha256Sri[] = [];
    const withdrawn: Sha256Sri[] = [];
    for (const file of files) {
      const record = this.files.get(file);
      if (!record) continue;
      this.files.delete(file);
      if (record.complete) withdrawn.push(file);
      record.held.forEach((h, i) => {
        if (!h) return;
        const chunk = record.chunks[i]!;
        const n = (this.refs.get(chunk) ?? 0) - 1;
        if (n > 0) {
          this.refs.set(chunk, n);
          return;
        }
        this.refs.delete(chunk);
        this.stored -= this.sizes.get(chunk) ?? 0;
        this.sizes.delete(chunk);
        freed.push(chunk);
      });
    }
    return { freed, withdrawn };
  }

  /** Every record that lists the chunk, as it would be without it (not yet set: see replace()). */
  withoutChunk(chunk: Sha256Sri): FileRecord[] {
    return this.records()
      .filter((r) => r.chunks.includes(chunk))
      .map((r) => withHeld(r, r.held.map((h, i) => h && r.chunks[i] !== chunk)));
  }

  /** Forgets a chunk's bytes and references (after every record naming it was replaced). */
  forgetChunk(chunk: Sha256Sri): void {
    if (this.hasChunk(chunk)) this.stored -= this.sizes.get(chunk) ?? 0;
    this.refs.delete(chunk);
    this.sizes.delete(chunk);
  }

  /**
   * What a batch writes when written together, or undefined when it must be stored chunk by chunk
   * (a file cut at another chunk size needs an eviction first). Chunks of tainted files, past the
   * end of their file, or already held are left out.
   */
  planBatch(jobs: readonly StoreJob[], isTainted: (file: Sha256Sri) => boolean, now: number): BatchPlan | undefined {
    const records = new Map<Sha256Sri, FileRecord>();
    const incoming = new Map<Sha256Sri, ArrayBuffer>();
    const added: HeldChunk[] = [];
    let incomingBytes = 0;
    for (const { shape, index, bytes } of jobs) {
      const chunk = shape.chunks[index];
      if (chunk === undefined || isTainted(shape.integrity)) continue;
      const current = records.get(shape.integrity) ?? this.files.get(shape.integrity);
      if (current && current.chunkSize !== shape.chunkSize) return undefined;
      const record = current ?? emptyRecord(shape, now);
      if (record.held[index]) continue;
      if (!this.hasChunk(chunk) && !incoming.has(chunk)) {
        incoming.set(chunk, bytes);
        incomingBytes += bytes.byteLength;
      }
      records.set(shape.integrity, holdChunk(record, index, now));
      added.push({ chunk, size: bytes.byteLength });
    }
    return { records, incoming, incomingBytes, added };
  }

  private addRef(chunk: Sha256Sri, size: number): void {
    const n = this.refs.get(chunk) ?? 0;
    if (n === 0) {
      this.stored += size;
      this.sizes.set(chunk, size);
    }
    this.refs.set(chunk, n + 1);
  }
}
