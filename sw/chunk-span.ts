/** Byte ⇄ chunk arithmetic: which chunks a byte range needs, and which bytes of each it uses. */

/** Inclusive chunk indexes a byte range touches. */
export interface ChunkSpan {
  readonly first: number;
  readonly last: number;
}

/** Byte offsets of one chunk in its file: `start` inclusive, `end` exclusive. */
export interface ChunkBounds {
  readonly start: number;
  readonly end: number;
}

/** The chunks holding bytes `start..end` (inclusive) of a file cut every `chunkSize` bytes. */
export function chunkSpan(start: number, end: number, chunkSize: number): ChunkSpan {
  return { first: Math.floor(start / chunkSize), last: Math.floor(end / chunkSize) };
}

/** Where chunk `index` lies in a file of `size` bytes (the last chunk may be shorter). */
export function chunkBounds(index: number, size: number, chunkSize: number): ChunkBounds {
  const start = index * chunkSize;
  return { start, end: Math.min(size, start + chunkSize) };
}

/** Length of chunk `index`: what the manifest lets a peer send, and no more. */
export function chunkLength(index: number, size: number, chunkSize: number): number {
  const { start, end } = chunkBounds(index, size, chunkSize);
  return Math.max(0, end - start);
}

/** The part of chunk `index` that falls in bytes `start..end` (inclusive), as offsets into the chunk. */
export function sliceInChunk(index: number, chunkSize: number, start: number, end: number): { readonly from: number; readonly to: number } {
  const chunkStart = index * chunkSize;
  const from = Math.max(0, start - chunkStart);
  const to = Math.min(chunkSize, end + 1 - chunkStart);
  return { from, to: Math.max(from, to) };
}

/** The Range header that asks the origin for chunks `from..to` (inclusive) of a file of `size` bytes. */
export function originRangeHeader(from: number, to: number, size: number, chunkSize: number): string {
  const start = from * chunkSize;
  const end = Math.min(size, (to + 1) * chunkSize) - 1;
  return `bytes=${start}-${end}`;
}
