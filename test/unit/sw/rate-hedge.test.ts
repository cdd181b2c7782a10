/** The rate hedge: the origin takes the rest only when it would clearly finish first, with enough measured. */
import { describe, expect, it } from '@jest/globals';
import { RATE_HEDGE_MIN_BYTES, originWouldFinishFirst, type RateFacts } from '../../../sw/rate-hedge.js';

const MB = 1024 * 1024;
// A peer at 2.5 MB/s (20 Mbit/s): 4 chunks of 256 KiB, the last three over 300 ms.
const slowPeer: RateFacts = { peerChunks: 4, peerBytes: MB, sinceFirstMs: 300, leftBytes: 8 * MB, originTtfbMs: 60, originBytesPerMs: 5_000 };

describe('originWouldFinishFirst', () => {
  it('hands the rest to an origin that would finish well before a slow peer', () => {
    // Peer: 8 MiB at ~2.6 KB/ms ≈ 3.2 s; origin: 60 ms + 8 MiB at 5 KB/ms ≈ 1.7 s.
    expect(originWouldFinishFirst(slowPeer)).toBe(true);
  });

  it('keeps a peer that is as fast as the origin, or faster, within the margin', () => {
    expect(originWouldFinishFirst({ ...slowPeer, originBytesPerMs: 3_000 })).toBe(false);
    expect(originWouldFinishFirst({ ...slowPeer, sinceFirstMs: 30 })).toBe(false);
  });

  it('decides nothing without a measured origin pace, with too few chunks, or with little left', () => {
    expect(originWouldFinishFirst({ ...slowPeer, originBytesPerMs: undefined })).toBe(false);
    expect(originWouldFinishFirst({ ...slowPeer, peerChunks: 2 })).toBe(false);
    expect(originWouldFinishFirst({ ...slowPeer, leftBytes: RATE_HEDGE_MIN_BYTES - 1 })).toBe(false);
    expect(originWouldFinishFirst({ ...slowPeer, sinceFirstMs: 0 })).toBe(false);
  });
});
