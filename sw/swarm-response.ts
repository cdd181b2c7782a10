/**
 * Responses the SW builds itself: headers from the manifest entry, a body that streams verified
 * chunks as they arrive (the first bytes leave as soon as the first needed chunk is verified),
 * and the 416 for a range outside the file.
 */
import type { ManifestFile } from '../protocol/index.js';
import type { ChunkPipeline, PipelineChunk } from './chunk-pipeline.js';
import { sliceInChunk } from './chunk-span.js';
import type { ByteSource } from './sw-stats.js';

/** How a streamed response ended, and which sources its body used. */
export interface StreamEnd {
  readonly sources: ReadonlySet<ByteSource>;
  /** True when every byte was delivered; false when cancelled or failed. */
  readonly complete: boolean;
}

/** The source a response counts under: origin if any byte came from it, else peer if any, else cache. */
export function responseSource(sources: ReadonlySet<ByteSource>): ByteSource {
  if (sources.has('origin')) return 'origin';
  if (sources.has('peer')) return 'peer';
  return 'cache';
}

/** 416 with `Content-Range: bytes *\/size` (RFC 9110 §15.5.17). */
export function notSatisfiable(size: number): Response {
  return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}`, 'accept-ranges': 'bytes' } });
}

/** Status and headers of a 200 (no range) or 206 answer for bytes `start..end` of a file. */
export function swarmHeaders(file: ManifestFile, range: { start: number; end: number } | undefined): { status: number; headers: Headers } {
  const headers = new Headers({ 'content-type': file.contentType, 'accept-ranges': 'bytes' });
  if (!range) {
    headers.set('content-length', String(file.size));
    return { status: 200, headers };
  }
  headers.set('content-length', String(range.end - range.start + 1));
  headers.set('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
  return { status: 206, headers };
}

/** A body that pulls verified chunks from the pipeline and enqueues the bytes `start..end` of each. */
export function streamBody(
  pipeline: ChunkPipeline,
  first: PipelineChunk | undefined,
  bytes: { start: number; end: number; chunkSize: number },
  onEnd: (end: StreamEnd) => void,
): ReadableStream<Uint8Array> {
  const sources = new Set<ByteSource>();
  let pending = first;
  let ended = false;
  const finish = (complete: boolean): void => {
    if (ended) return;
    ended = true;
    pipeline.cancel();
    onEnd({ sources, complete });
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = pending ?? (await pipeline.next());
        pending = undefined;
        if (!chunk) {
          controller.close();
          finish(true);
          return;
        }
        sources.add(chunk.source);
        const { from, to } = sliceInChunk(chunk.index, bytes.chunkSize, bytes.start, bytes.end);
        controller.enqueue(chunk.bytes.subarray(from, to));
      } catch (error) {
        // Only the origin failing too gets here; the page sees what it would have seen without us.
        controller.error(error);
        finish(false);
      }
    },
    cancel() {
      finish(false);
    },
  });
}
