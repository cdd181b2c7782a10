/**
 * The SW's record of one cached file (CACHE_STORES.files, keyed by the file's SRI value): which of
 * its chunks are held. Chunk bytes live apart, keyed by chunk SRI, so a bridge can serve any chunk
 * by its hash and two files sharing a chunk store it once.
 */
import { isSha256Sri, type Sha256Sri } from '../protocol/index.js';

/** One cached file. */
export interface FileRecord {
  readonly file: Sha256Sri;
  readonly size: number;
  readonly chunkSize: number;
  /** Chunk SRI values in order, as the manifest lists them. */
  readonly chunks: readonly Sha256Sri[];
  /** held[i]: chunk i's bytes are in the chunk store and were verified when written. */
  readonly held: readonly boolean[];
  readonly bytesHeld: number;
  /** Every chunk held, each verified, none from a tainted origin answer: the file may be announced. */
  readonly complete: boolean;
  /** Epoch ms of the last read or write, for LRU eviction. */
  readonly lastUsed: number;
}

/** The shape of a file a record is made for (a manifest entry plus its chunk size). */
export interface CachedFileShape {
  readonly integrity: Sha256Sri;
  readonly size: number;
  readonly chunkSize: number;
  readonly chunks: readonly Sha256Sri[];
}

/** An empty record for a file about to be cached. */
export function emptyRecord(shape: CachedFileShape, now: number): FileRecord {
  return {
    file: shape.integrity,
    size: shape.size,
    chunkSize: shape.chunkSize,
    chunks: [...shape.chunks],
    held: shape.chunks.map(() => false),
    bytesHeld: 0,
    complete: false,
    lastUsed: now,
  };
}

/** Length of chunk `index` of a record's file. */
export function recordChunkLength(record: Pick<FileRecord, 'size' | 'chunkSize'>, index: number): number {
  return Math.max(0, Math.min(record.size, (index + 1) * record.chunkSize) - index * record.chunkSize);
}

/** The record with `held` replaced, its byte count and completeness recomputed from it. */
export function withHeld(record: FileRecord, held: readonly boolean[], lastUsed = record.lastUsed): FileRecord {
  const bytesHeld = held.reduce<number>((sum, h, i) => (h ? sum + recordChunkLength(record, i) : sum), 0);
  return { ...record, held, bytesHeld, complete: held.every(Boolean), lastUsed };
}

/**
 * A record read back from IndexedDB, or undefined when it does not hold together (another
 * version's layout, a bug, a hand-edited database): such a record is dropped, never trusted.
 */
export function parseFileRecord(value: unknown): FileRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const { file, size, chunkSize, chunks, held, lastUsed } = r;
  if (!isSha256Sri(file) || !Number.isSafeInteger(size) || (size as number) < 0) return undefined;
  if (!Number.isSafeInteger(chunkSize) || (chunkSize as number) < 1) return undefined;
  if (!Array.isArray(chunks) || !chunks.every(isSha256Sri)) return undefined;
  if (chunks.length !== Math.ceil((size as number) / (chunkSize as number))) return undefined;
  if (!Array.isArray(held) || held.length !== chunks.length || !held.every((h) => typeof h === 'boolean')) return undefined;
  const record: FileRecord = {
    file,
    size: size as number,
    chunkSize: chunkSize as number,
    chunks: chunks as Sha256Sri[],
    held: [],
    bytesHeld: 0,
    complete: false,
    lastUsed: typeof lastUsed === 'number' && Number.isFinite(lastUsed) ? lastUsed : 0,
  };
  // Counts are recomputed rather than read: they must agree with `held`.
  return withHeld(record, held as boolean[]);
}
