// The one seeded PRNG of the tests, benches and demo (plain JS so scripts/*.mjs can run it under
// Node without a build; TypeScript reads its types from seeded-random.d.mts).

/**
 * mulberry32: tiny, fast, and plenty for picking sizes, pixels and fuzz cases; returns floats in
 * [0, 1), the same sequence for the same seed on every run (so a failing case is reproducible).
 */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
