/**
 * The origin fallback: one Range request for a span of chunks, cut into chunks as the body streams
 * and each checked against the manifest. A chunk that does not match is still handed on (the site
 * is the authority on its own bytes) but marked, so nothing of that file is cached or announced.
 * An origin that ignores Range and answers 200 is read from the start and skipped to the offset.
 */
import type { ManifestFile } from '../protocol/index.js';
import { chunkBounds, chunkLength, originRangeHeader } from './chunk-span.js';
import { verifyChunk } from './verify-chunk.js';

/** One chunk's bytes from the origin. */
export interface OriginChunk {
  readonly index: number;
  readonly bytes: Uint8Array;
  /** False when the bytes differ from the manifest (a short body ends with such a chunk). */
  readonly matches: boolean;
}

/** What a span read needs. */
export interface OriginSpanOptions {
  readonly file: ManifestFile;
  readonly chunkSize: number;
  /** First and last chunk index, inclusive. */
  readonly from: number;
  readonly to: number;
  /** Performs the request (through the strategy's handler, so plugins see it). */
  readonly fetchRange: (rangeHeader: string, signal: AbortSignal) => Promise<Response>;
  readonly signal: AbortSignal;
  /** Real bytes read from the origin, skipped ones included. */
  readonly onBytes: (n: number) => void;
  /** Resolves when the consumer has room for chunk `index` (bounds what is buffered). */
  readonly waitForRoom: (index: number) => Promise<void>;
}

/** The origin answered in a way the SW cannot use (an error status, a range elsewhere). */
export class OriginFailure extends Error {
  override readonly name = 'OriginFailure';
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/** How many leading body bytes to drop to reach `start`, or throws when the answer cannot serve it. */
function bytesToSkip(response: Response, start: number): number {
  if (response.status === 200) return start;
  if (response.status !== 206) throw new OriginFailure(`origin answered ${response.status}`);
  const m = CONTENT_RANGE.exec(response.headers.get('content-range') ?? '');
  const first = m ? Number(m[1]) : NaN;
  if (!(first <= start)) throw new OriginFailure('origin answered another range');
  return start - first;
}

/** Yields chunks `from..to` in order from the origin; throws OriginFailure when it cannot. */
export async function* readOriginSpan(options: OriginSpanOptions): AsyncGenerator<OriginChunk> {
  const { file, chunkSize, from, to, signal } = options;
  const start = chunkBounds(from, file.size, chunkSize).start;
  const response = await options.fetchRange(originRangeHeader(from, to, file.size, chunkSize), signal);
  let skip = bytesToSkip(response, start);
  const reader = response.body?.getReader();
  if (!reader) throw new OriginFailure('origin answered without a body');
  let index = from;
  let buffer = new Uint8Array(chunkLength(index, file.size, chunkSize));
  let filled = 0;
  try {
    await options.waitForRoom(index);
    while (index <= to) {
      const { done, value } = await reader.read();
      if (done) break;
      options.onBytes(value.byteLength);
      let at = Math.min(skip, value.byteLength);
      skip -= at;
      while (at < value.byteLength && index <= to) {
        const n = Math.min(buffer.byteLength - filled, value.byteLength - at);
        buffer.set(value.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled < buffer.byteLength) break;
        yield { index, bytes: buffer, matches: await verifyChunk(buffer, file.chunks[index]!, buffer.byteLength) };
        index += 1;
        if (index > to) break;
        await options.waitForRoom(index);
        buffer = new Uint8Array(chunkLength(index, file.size, chunkSize));
        filled = 0;
      }
    }
    if (index <= to) {
      // The body ended early: the file on the origin is shorter than the manifest says.
      if (filled > 0) yield { index, bytes: buffer.slice(0, filled), matches: false };
      throw new OriginFailure('origin body ended before the span');
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
}
