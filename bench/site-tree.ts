/**
 * Writes a synthetic site tree for benchmarks: many small files, some medium, a few large, in
 * nested directories. Sizes and paths come from a seeded PRNG so every run hashes the same
 * layout; the bytes are fresh random data (hashing does not care, and identical content would
 * flatter anything that ever deduplicates chunks).
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { seededRandom } from '../scripts/lib/seeded-random.mjs';

/** One size class: its share of the total bytes and the range its file sizes are drawn from. */
export interface SizeClass {
  readonly name: string;
  readonly share: number;
  readonly minBytes: number;
  readonly maxBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The default mix. Small files stress per-file overhead (open, stat, a worker round trip), the
 * large ones raw hashing speed; the shares put about 5,000 files in a 1.1 GB tree.
 */
export const DEFAULT_MIX: readonly SizeClass[] = [
  { name: 'small', share: 0.15, minBytes: 1 * KiB, maxBytes: 64 * KiB },
  { name: 'medium', share: 0.4, minBytes: 256 * KiB, maxBytes: 4 * MiB },
  { name: 'large', share: 0.45, minBytes: 64 * MiB, maxBytes: 256 * MiB },
];

/** A file the generator wrote. */
export interface TreeFile {
  readonly relPath: string;
  readonly size: number;
}

/** What `writeSiteTree` wrote. */
export interface SiteTree {
  readonly files: readonly TreeFile[];
  readonly bytes: number;
}

const EXTENSIONS = ['.js', '.css', '.html', '.json', '.png', '.woff2', '.wasm', '.bin'];

/** Plans the layout (paths and sizes) of a tree of about `totalBytes`, without touching the disk. */
export function planSiteTree(totalBytes: number, seed: number, mix: readonly SizeClass[] = DEFAULT_MIX): TreeFile[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // 96 directories, one to four levels deep, like a built site's assets/, chunks/, img/… folders.
  const dirs: string[] = [];
  for (let i = 0; i < 96; i++) {
    const depth = 1 + Math.floor(random() * 4);
    dirs.push(Array.from({ length: depth }, (_, level) => `d${level}-${Math.floor(random() * 6)}`).join('/'));
  }
  const files: TreeFile[] = [];
  for (const cls of mix) {
    const budget = Math.floor(totalBytes * cls.share);
    let used = 0;
    while (used < budget) {
      const drawn = cls.minBytes + Math.floor(random() * (cls.maxBytes - cls.minBytes + 1));
      // The last file of a class takes what is left, so a small BENCH_MANIFEST_MB still works.
      const size = Math.min(drawn, budget - used);
      files.push({ relPath: `${pick(dirs)}/${cls.name}-${files.length}${pick(EXTENSIONS)}`, size });
      used += size;
    }
  }
  return files;
}

// Random bytes are made per write in 4 MiB slices: one buffer, reused, never a 256 MiB allocation.
const WRITE_BYTES = 4 * MiB;

/** Writes the planned files under `root` (which must exist). */
export function writeSiteTree(root: string, plan: readonly TreeFile[]): SiteTree {
  const buffer = Buffer.allocUnsafe(WRITE_BYTES);
  const made = new Set<string>();
  let bytes = 0;
  for (const file of plan) {
    const abs = join(root, file.relPath);
    const dir = dirname(abs);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    const fd = openSync(abs, 'w');
    try {
      let left = file.size;
      while (left > 0) {
        const n = Math.min(left, WRITE_BYTES);
        randomFillSync(buffer, 0, n);
        let written = 0;
        while (written < n) written += writeSync(fd, buffer, written, n - written);
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
    bytes += file.size;
  }
  return { files: plan, bytes };
}
