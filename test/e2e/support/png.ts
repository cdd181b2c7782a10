/**
 * Deterministic, valid PNG images for the fixture site (encoded by scripts/lib/png.mjs). Pixels
 * come from a seeded generator, so every image is distinct and the same on every run.
 */
import { encodePng } from '../../../scripts/lib/png.mjs';
import { bytesOf } from '../../support/cli.js';

/**
 * An RGB PNG of `width`×`height`: a gradient with seeded noise. `level` 0 stores the pixels
 * uncompressed, which makes an image as large as its pixels (for multi-chunk files).
 */
export function makePng(width: number, height: number, seed: number, level = 6): Buffer {
  const noise = bytesOf(width * height, seed);
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      rgb[p] = (x * 255) / width;
      rgb[p + 1] = (y * 255) / height;
      rgb[p + 2] = noise[y * width + x]!;
    }
  }
  return encodePng(width, height, rgb, level);
}
