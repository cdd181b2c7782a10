/**
 * The chunk spans of one response handed to origin Range requests. Each reaches from where it
 * starts up to the next one's start (or the span's last chunk), so two never download a chunk twice.
 * A hedge's span may leave the peers the back of what they already have in flight (peersKeepFrom).
 */

/** One origin request's chunks, first to last. */
export interface OriginSpan {
  readonly from: number;
  readonly to: number;
}

/** The origin's spans of one response. */
export class OriginSpans {
  private readonly spans: OriginSpan[] = [];

  constructor(private readonly last: number) {}

  /** True when chunk `index` is the origin's. */
  has(index: number): boolean {
    return this.spans.some((r) => r.from <= index && index <= r.to);
  }

  /** Hands the origin the chunks from `from` up to the next span's start after `failed` (or the last chunk). */
  claim(from: number, failed: number): OriginSpan {
    const next = Math.min(this.last + 1, ...this.spans.map((r) => r.from).filter((f) => f > failed));
    const span = { from, to: next - 1 };
    this.spans.push(span);
    return span;
  }

  /** The origin failed the span starting at `from`: its chunks are the peers' again. */
  release(from: number): void {
    for (let i = this.spans.length - 1; i >= 0; i--) if (this.spans[i]!.from === from) this.spans.splice(i, 1);
  }
}

/**
 * Where the peers' part of a hedged span begins: the origin reads from the front, and the peers
 * keep the back half (rounded up) of the asks in flight at the span's end (never its first chunk),
 * so the two meet in the middle instead of both fetching the front. `to + 1` when they keep none:
 * a span whose end has no ask in flight (a large file: the window covers its front only) is the
 * origin's whole. A late first byte says a holder is slow to start, not that its bytes are lost.
 */
export function peersKeepFrom(span: OriginSpan, inFlight: (index: number) => boolean): number {
  let first = span.to + 1;
  while (first > span.from && inFlight(first - 1)) first--;
  const tail = span.to + 1 - first;
  return span.to + 1 - Math.min(Math.ceil(tail / 2), tail - (first === span.from ? 1 : 0));
}
