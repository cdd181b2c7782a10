/**
 * A read-only look at a visitor's chunk cache as the SW left it in IndexedDB (the CACHE_STORES
 * layout: file records by file SRI, chunk bytes by chunk SRI), read with raw indexedDB from the
 * visitor's page, so a test sees what is stored rather than what the SW says it stores.
 */
import { CACHE_STORES } from '../../../protocol/messages/sw-page.js';
import type { Visitor } from './visitor.js';
import { withTimeout } from './wait.js';

/** One file record, as stored (only the fields a test asserts on). */
export interface CachedFileView {
  /** The record's key: the file's SRI value. */
  readonly key: string;
  readonly size: number;
  readonly chunks: number;
  /** How many of its chunks the record says are held. */
  readonly heldChunks: number;
  readonly complete: boolean;
}

/** One stored chunk. */
export interface CachedChunkView {
  /** The chunk's SRI value. */
  readonly key: string;
  /** Bytes stored under it (-1: not an ArrayBuffer or a view). */
  readonly size: number;
}

/** Everything in the two cache stores; a database that does not exist yet reads as empty. */
export interface CacheView {
  readonly files: readonly CachedFileView[];
  readonly chunks: readonly CachedChunkView[];
  /** Sum of the chunk sizes. */
  readonly chunkBytes: number;
}

/** Reads the visitor's file records and chunk sizes (never writes, never creates a database). */
export async function readCache(visitor: Visitor, timeoutMs = 10_000): Promise<CacheView> {
  const raw = await withTimeout(
    visitor.page.evaluate(async (stores) => {
      const readAll = async (db: string, store: string): Promise<{ key: string; value: unknown }[]> => {
        // indexedDB.open on a missing name would create it, empty: look first.
        if (!(await indexedDB.databases()).some((d) => d.name === db)) return [];
        const open = indexedDB.open(db);
        const database = await new Promise<IDBDatabase>((resolve, reject) => {
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        try {
          if (!database.objectStoreNames.contains(store)) return [];
          const os = database.transaction(store, 'readonly').objectStore(store);
          const request = <T>(r: IDBRequest<T>): Promise<T> =>
            new Promise((resolve, reject) => {
              r.onsuccess = () => resolve(r.result);
              r.onerror = () => reject(r.error);
            });
          const [keys, values] = await Promise.all([request(os.getAllKeys()), request(os.getAll())]);
          return keys.map((key, i) => ({ key: String(key), value: values[i] as unknown }));
        } finally {
          database.close();
        }
      };
      const files = (await readAll(stores.files.db, stores.files.store)).map(({ key, value }) => {
        const r = (value ?? {}) as { size?: unknown; chunks?: unknown; held?: unknown; complete?: unknown };
        const held = Array.isArray(r.held) ? r.held : [];
        return {
          key,
          size: typeof r.size === 'number' ? r.size : -1,
          chunks: Array.isArray(r.chunks) ? r.chunks.length : -1,
          heldChunks: held.filter((h) => h === true).length,
          complete: r.complete === true,
        };
      });
      const chunks = (await readAll(stores.chunks.db, stores.chunks.store)).map(({ key, value }) => ({
        key,
        size: value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? value.byteLength : -1,
      }));
      return { files, chunks };
    }, CACHE_STORES),
    timeoutMs,
    `${visitor.name}: read the cache stores in IndexedDB`,
  );
  return { ...raw, chunkBytes: raw.chunks.reduce((sum, c) => sum + c.size, 0) };
}
