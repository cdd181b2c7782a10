/**
 * The chunk spans of one response handed to origin Range requests. Each reaches from where it
 * starts up to the next one's start (or the span's last chunk), so two never download a chunk twice.
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
