/** mulberry32: floats in [0, 1), the same sequence for the same seed on every run. */
export function seededRandom(seed: number): () => number;
