/**
 * A peer's upload score: the bytes it reports having served to other peers, decayed with a
 * half-life so that what a peer uploads now counts more than what it uploaded an hour ago.
 *
 * Stored in the log domain against a fixed epoch, `log2(bytes) + t / halfLife`: the decay then
 * needs no timer and no update — two peers' scores compare correctly at any moment however long
 * ago each last reported (a peer that went quiet falls behind by itself), and the number never
 * overflows the way `bytes · 2^(t/halfLife)` would within days.
 */

/** 10 minutes: about the span of a browsing session, so a score reflects the current visit. */
export const UPLOAD_SCORE_HALF_LIFE_MS = 10 * 60_000;

/** The score of a peer that has reported no upload; below every real score (they are ~3·10⁶ since 1970). */
export const NO_UPLOAD_SCORE = 0;

/** The score after adding `bytes` uploaded at `nowMs` (milliseconds since the Unix epoch). */
export function addUpload(score: number, bytes: number, nowMs: number): number {
  if (bytes <= 0) return score;
  const added = Math.log2(bytes) + nowMs / UPLOAD_SCORE_HALF_LIFE_MS;
  if (score === NO_UPLOAD_SCORE) return added;
  // log2(2^a + 2^b), computed from the larger side so that 2^x never overflows.
  const hi = Math.max(score, added);
  const lo = Math.min(score, added);
  return hi + Math.log2(1 + 2 ** (lo - hi));
}
