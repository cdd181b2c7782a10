/**
 * Reads a whole-file origin body into the cache, chunk by chunk, each checked against the manifest
 * (origin-copier.ts hands it the browser's cached copy of what the origin served). A chunk that
 * does not match (a stale manifest) taints the file: nothing of it is cached or shared.
 */
import type { ManifestFile } from '../protocol/index.js';
import type { ChunkCache } from './chunk-cache.js';
import { readOriginSpan } from './origin-span-reader.js';

/** Cache writes in flight at most while copying (then the copy waits: memory stays bounded). */
const MAX_PENDING_WRITES = 16;

/** What a copy needs. */
export interface OriginCopyContext {
  readonly cache: Pick<ChunkCache, 'storeChunk' | 'taint' | 'isTainted'>;
  /** Real bytes read from the origin. */
  readonly onBytes: (n: number) => void;
  readonly signal: AbortSignal;
}

/** Reads a whole-file origin body (a 200) into the cache, chunk by chunk, verified. Never rejects. */
export async function copyOriginBody(body: ReadableStream<Uint8Array>, file: ManifestFile, chunkSize: number, ctx: OriginCopyContext): Promise<void> {
  const last = file.chunks.length - 1;
  if (last < 0) {
    await body.cancel().catch(() => undefined);
    return;
  }
  const shape = { ...file, chunkSize };
  const pending = new Set<Promise<void>>();
  try {
    const chunks = readOriginSpan({
      file,
      chunkSize,
      from: 0,
      to: last,
      // The body is already here: the "request" is the teed branch, read from its first byte.
      fetchRange: async () => new Response(body, { status: 200 }),
      signal: ctx.signal,
      onBytes: ctx.onBytes,
      waitForRoom: async () => {
        while (pending.size >= MAX_PENDING_WRITES) await Promise.race(pending);
      },
    });
    for await (const { index, bytes, matches } of chunks) {
      if (ctx.signal.aborted) break;
      if (!matches) ctx.cache.taint(file.integrity);
      // A tainted file is still read to its end (its bytes count as origin bytes), never stored.
      if (ctx.cache.isTainted(file.integrity)) continue;
      const write = ctx.cache.storeChunk(shape, index, bytes.buffer as ArrayBuffer);
      pending.add(write);
      void write.finally(() => pending.delete(write));
    }
  } catch {
    // A short or broken body: what was verified stays cached; the file is not complete, so not announced.
  }
  await Promise.all(pending);
}
