/**
 * Cache eviction as a pure plan: least recently used files go first, and a chunk's bytes are freed
 * only when no file that stays still holds it (chunks are content-addressed and may be shared).
 */
import type { Sha256Sri } from '../protocol/index.js';

/** What the planner needs of one cached file. */
export interface EvictionCandidate {
  readonly file: Sha256Sri;
  readonly lastUsed: number;
  /** Chunks this file holds, with their sizes (a chunk held twice is listed twice). */
  readonly held: readonly { readonly chunk: Sha256Sri; readonly size: number }[];
}

/** What to remove: whole files, and the chunks nobody else holds. */
export interface EvictionPlan {
  readonly evictFiles: readonly Sha256Sri[];
  readonly deleteChunks: readonly Sha256Sri[];
  readonly freedBytes: number;
  /** False when even evicting everything evictable leaves no room for the incoming bytes. */
  readonly fits: boolean;
}

/** The planner's input. */
export interface EvictionInput {
  readonly candidates: readonly EvictionCandidate[];
  /** Chunk → how many held positions across all cached files reference it. */
  readonly refcounts: ReadonlyMap<Sha256Sri, number>;
  /** Bytes stored now (unique chunks). */
  readonly storedBytes: number;
  readonly limitBytes: number;
  /** Bytes about to be written. */
  readonly incomingBytes: number;
  /** Files that must stay (the ones being written right now). */
  readonly protect?: ReadonlySet<Sha256Sri>;
}

/** Plans the smallest LRU eviction that makes room for `incomingBytes` under `limitBytes`. */
export function planEviction(input: EvictionInput): EvictionPlan {
  const { storedBytes, limitBytes, incomingBytes } = input;
  if (storedBytes + incomingBytes <= limitBytes) return { evictFiles: [], deleteChunks: [], freedBytes: 0, fits: true };
  const order = input.candidates
    .filter((c) => !input.protect?.has(c.file))
    .sort((a, b) => a.lastUsed - b.lastUsed || (a.file < b.file ? -1 : 1));
  const left = new Map(input.refcounts);
  const evictFiles: Sha256Sri[] = [];
  const deleteChunks: Sha256Sri[] = [];
  let freed = 0;
  for (const candidate of order) {
    if (storedBytes - freed + incomingBytes <= limitBytes) break;
    evictFiles.push(candidate.file);
    for (const { chunk, size } of candidate.held) {
      const n = (left.get(chunk) ?? 0) - 1;
      left.set(chunk, n);
      if (n === 0) {
        deleteChunks.push(chunk);
        freed += size;
      }
    }
  }
  return { evictFiles, deleteChunks, freedBytes: freed, fits: storedBytes - freed + incomingBytes <= limitBytes };
}
