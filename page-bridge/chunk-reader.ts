/**
 * Reads chunk bytes this visitor holds, to serve them to other peers. The SW owns the chunks store
 * (it verifies, writes and evicts); the bridge only reads it, by the chunk's SRI value. Anything
 * that is not bytes of a possible chunk size reads as absent: the store is shared with another
 * realm, so its values are `unknown` too.
 */
import { createStore, get, type UseStore } from 'idb-keyval';
import { MAX_CHUNK_SIZE, type Sha256Sri } from '../protocol/manifest/types.js';
import { CACHE_STORES } from '../protocol/messages/sw-page.js';
import { within } from './wait.js';

/** Reads one chunk, or undefined when it is not held (or cannot be read in time). */
export type ChunkReader = (chunk: Sha256Sri) => Promise<Uint8Array | undefined>;

/** 5 s: a healthy IndexedDB read of one chunk takes milliseconds; a wedged one must not pin an upload slot. */
const READ_TIMEOUT_MS = 5_000;

async function asChunkBytes(value: unknown): Promise<Uint8Array | undefined> {
  let bytes: Uint8Array | undefined;
  if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
  else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  else if (typeof Blob !== 'undefined' && value instanceof Blob && value.size <= MAX_CHUNK_SIZE) bytes = new Uint8Array(await value.arrayBuffer());
  return bytes && bytes.length > 0 && bytes.length <= MAX_CHUNK_SIZE ? bytes : undefined;
}

/** A reader over the SW's chunks store; the database is opened on the first read, not before. */
export function createChunkReader(): ChunkReader {
  let store: UseStore | undefined;
  return async (chunk) => {
    try {
      store ??= createStore(CACHE_STORES.chunks.db, CACHE_STORES.chunks.store);
      const read = get<unknown>(chunk, store).then(asChunkBytes);
      return await within(read, READ_TIMEOUT_MS, undefined);
    } catch {
      return undefined;
    }
  };
}
