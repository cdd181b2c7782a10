/**
 * What a requester may still receive for the requests it gave up on. A `cancel` crosses the pieces
 * already on their way, so for LATE_GRACE_MS after a request is abandoned (a stall, a cancel, its
 * deadline) its peer may still send what remained of the chunk, and an `absent`; nothing more. A
 * piece beyond those bytes or that time, a piece of another length, or any answer for a request
 * that completed or was answered `absent`, is a protocol violation: a peer cannot keep sending
 * pieces nobody wants. Pure: the clock is passed in.
 */

/**
 * 10 s: what is in flight when our cancel arrives is at most the sender's buffer (≤ 384 KiB:
 * upload-pacing.ts), behind our own buffer on the way there; both drain within seconds even on a
 * slow path. The byte allowance is the real bound; the time bounds what is remembered.
 */
export const LATE_GRACE_MS = 10_000;
/** Abandoned requests remembered per connection (16 in flight at once; thousands abandoned within the grace is not a real page). */
export const MAX_LATE_REQUESTS = 1_024;

interface Late {
  readonly size: number;
  left: number;
  readonly until: number;
}

/** The abandoned requests of one connection. */
export class LateAnswers {
  /** By request id, oldest first (every entry gets the same grace, so also in order of expiry). */
  readonly #late = new Map<number, Late>();

  /** Request `requestId` for a chunk of `size` bytes was given up with `received` of them here. */
  abandoned(requestId: number, size: number, received: number, now: number): void {
    for (const [id, late] of this.#late) {
      if (late.until > now && this.#late.size < MAX_LATE_REQUESTS) break;
      this.#late.delete(id);
    }
    this.#late.set(requestId, { size, left: size - received, until: now + LATE_GRACE_MS });
  }

  /** A piece of `bytes` for request `requestId` (no longer pending): undefined when it may still come, else why not. */
  piece(requestId: number, chunkLength: number, bytes: number, now: number): string | undefined {
    const late = this.#get(requestId, now);
    if (!late) return `piece for request ${requestId}, which is answered`;
    if (chunkLength !== late.size || bytes > late.left) return `piece for request ${requestId} beyond what was left of its chunk`;
    late.left -= bytes;
    if (late.left === 0) this.#late.delete(requestId);
    return undefined;
  }

  /** An `absent` for request `requestId` (no longer pending): undefined when it may still come, else why not. */
  absent(requestId: number, now: number): string | undefined {
    if (!this.#get(requestId, now)) return `absent for request ${requestId}, which is answered`;
    // Nothing follows an absent.
    this.#late.delete(requestId);
    return undefined;
  }

  #get(requestId: number, now: number): Late | undefined {
    const late = this.#late.get(requestId);
    if (late && late.until <= now) {
      this.#late.delete(requestId);
      return undefined;
    }
    return late;
  }
}
