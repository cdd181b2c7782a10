/**
 * Collects the `piece` frames of one requested chunk into a buffer of the size the manifest gives.
 * Pure logic, no I/O. A peer's claims are checked against what we asked for, never believed: a
 * piece for a chunk of another length, one that reaches past the end, or one that overlaps bytes
 * already received is a protocol violation (the caller drops the peer). Bytes are counted as they
 * are copied; the chunk is complete when every byte has arrived exactly once.
 */

/** Separate received ranges one chunk may have at once: in-order senders keep one; a peer that scatters 1-byte pieces is cut off. */
export const MAX_PIECE_RANGES = 1024;

/** What one piece did to the chunk. */
export type PieceOutcome =
  | { readonly kind: 'more' }
  | { readonly kind: 'complete'; readonly bytes: ArrayBuffer }
  | { readonly kind: 'violation'; readonly reason: string };

const MORE: PieceOutcome = Object.freeze({ kind: 'more' });

/** The buffer of one chunk in flight. */
export class PieceAssembler {
  // Allocated on the first piece: a request that is never answered costs no chunk-sized buffer.
  #buffer: Uint8Array | undefined;
  #received = 0;
  /** Sorted, disjoint, non-adjacent [start, end) ranges already received, flattened: [s0, e0, s1, e1, …]. */
  readonly #ranges: number[] = [];
  #done = false;

  constructor(
    /** The chunk's length from the manifest. */
    readonly size: number,
    private readonly maxRanges = MAX_PIECE_RANGES,
  ) {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`chunk size ${size}`);
  }

  /** Bytes received so far (real bytes copied, not claimed). */
  get received(): number {
    return this.#received;
  }

  /** Adds `data` found at `offset` of a chunk the peer says is `chunkLength` bytes. */
  add(offset: number, chunkLength: number, data: Uint8Array): PieceOutcome {
    if (this.#done) return { kind: 'violation', reason: 'piece after the chunk was complete' };
    if (chunkLength !== this.size) return { kind: 'violation', reason: `piece of a ${chunkLength}-byte chunk, ${this.size} asked` };
    const end = offset + data.length;
    if (!Number.isSafeInteger(offset) || offset < 0 || data.length === 0 || end > this.size) {
      return { kind: 'violation', reason: 'piece outside the chunk' };
    }
    const at = this.#insertionPoint(offset);
    // The range before must end at or before `offset`; the range after must start at or after `end`.
    if (at > 0 && this.#ranges[at - 1]! > offset) return { kind: 'violation', reason: 'piece overlaps bytes already received' };
    if (at < this.#ranges.length && this.#ranges[at]! < end) return { kind: 'violation', reason: 'piece overlaps bytes already received' };
    this.#merge(at, offset, end);
    if (this.#ranges.length / 2 > this.maxRanges) return { kind: 'violation', reason: 'pieces scattered over too many ranges' };
    this.#buffer ??= new Uint8Array(this.size);
    this.#buffer.set(data, offset);
    this.#received += data.length;
    if (this.#received < this.size) return MORE;
    this.#done = true;
    return { kind: 'complete', bytes: this.#buffer.buffer as ArrayBuffer };
  }

  /** Index (even) in #ranges of the first range starting after `offset`. */
  #insertionPoint(offset: number): number {
    let lo = 0;
    let hi = this.#ranges.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ranges[mid * 2]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2;
  }

  /** Inserts [start, end) before index `at`, joining the neighbours it touches. */
  #merge(at: number, start: number, end: number): void {
    const joinsBefore = at > 0 && this.#ranges[at - 1] === start;
    const joinsAfter = at < this.#ranges.length && this.#ranges[at] === end;
    if (joinsBefore && joinsAfter) {
      this.#ranges[at - 1] = this.#ranges[at + 1]!;
      this.#ranges.splice(at, 2);
    } else if (joinsBefore) {
      this.#ranges[at - 1] = end;
    } else if (joinsAfter) {
      this.#ranges[at] = start;
    } else {
      this.#ranges.splice(at, 0, start, end);
    }
  }
}
