/** The SW's counters: bytes and responses by source, bad chunks, manifest refusals (SwStats). */
import type { ErrorCode } from '../protocol/index.js';
import type { ByteCounts, SwStats } from '../protocol/messages/sw-page.js';

/** Where bytes came from. */
export type ByteSource = 'peer' | 'cache' | 'origin';

/** Counts what the SW served; hands out byte deltas for the tracker's stats. */
export class SwStatsCounter {
  private readonly bytes = { peer: 0, cache: 0, origin: 0 };
  private readonly responses = { peer: 0, cache: 0, origin: 0 };
  private readonly refusals: Partial<Record<ErrorCode, number>> = {};
  private readonly unreported = { peer: 0, cache: 0, origin: 0 };
  private badChunks = 0;

  /** Real bytes received from a source (never a length someone claimed). */
  addBytes(source: ByteSource, n: number): void {
    this.bytes[source] += n;
    this.unreported[source] += n;
  }

  /** One manifest-path request answered, by where its body came from. */
  addResponse(source: ByteSource): void {
    this.responses[source] += 1;
  }

  /** A peer chunk that failed verification. */
  addBadChunk(): void {
    this.badChunks += 1;
  }

  /** A fetched manifest that was refused. */
  addRefusal(code: ErrorCode): void {
    this.refusals[code] = (this.refusals[code] ?? 0) + 1;
  }

  /** A copy for a page, with the manifest version now served with (0: none). */
  snapshot(manifestVersion: number): SwStats {
    return {
      bytes: { ...this.bytes, upload: 0 },
      responses: { ...this.responses },
      badChunks: this.badChunks,
      manifestVersion,
      manifestRefusals: { ...this.refusals },
    };
  }

  /** Bytes since the last delta, or undefined when there are none; the counter resets. */
  takeDelta(): ByteCounts | undefined {
    const { peer, cache, origin } = this.unreported;
    if (peer + cache + origin === 0) return undefined;
    this.unreported.peer = this.unreported.cache = this.unreported.origin = 0;
    return { peer, cache, origin, upload: 0 };
  }

  /** Puts back a delta that could not be delivered, so it goes with the next one. */
  restoreDelta(delta: ByteCounts): void {
    this.unreported.peer += delta.peer;
    this.unreported.cache += delta.cache;
    this.unreported.origin += delta.origin;
  }
}
