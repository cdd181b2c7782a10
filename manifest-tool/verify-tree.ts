/** `verify --dir`: re-hash a tree and compare it with a verified manifest. */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Manifest } from '../protocol/index.js';
import { hashFiles } from './hash-pool.js';
import { listSiteFiles } from './walk-site.js';

/** How a tree differs from its manifest; every list is sorted by URL path. */
export interface TreeReport {
  readonly changed: string[];
  readonly missing: string[];
  readonly unlisted: string[];
  readonly checkedFiles: number;
  readonly checkedBytes: number;
}

/** Where a manifest path lives under `root` (manifest paths are canonical: no dot segments). */
function fileOf(root: string, urlPath: string): string {
  return join(root, ...urlPath.slice(1).split('/').map(decodeURIComponent));
}

/**
 * Compares `dir` with `manifest`. Every listed path is looked up directly, whatever the walk
 * options, so a dotfile the build was told to include is checked, not called missing; the walk
 * (with the build's dotfiles/exclude options) finds the unlisted files. `skip` holds files that
 * are not site files (the manifest itself).
 */
export async function verifyTree(
  manifest: Manifest,
  dir: string,
  options: { threads?: number; dotfiles?: boolean; exclude?: readonly string[]; skip?: readonly string[] } = {},
): Promise<TreeReport> {
  const root = resolve(dir);
  const { files } = await listSiteFiles(root, {
    dotfiles: options.dotfiles ?? false,
    exclude: options.exclude ?? [],
    skip: options.skip ?? [],
  });
  const listedPaths = Object.keys(manifest.files).sort();
  const present: Array<{ urlPath: string; path: string; size: number }> = [];
  const missing: string[] = [];
  await Promise.all(
    listedPaths.map(async (urlPath) => {
      const path = fileOf(root, urlPath);
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile()) present.push({ urlPath, path, size: info.size });
      else missing.push(urlPath);
    }),
  );
  const hashes = await hashFiles(
    present.map((f) => ({ path: f.path, size: f.size })),
    { chunkSize: manifest.chunkSize, threads: options.threads },
  );
  const changed: string[] = [];
  present.forEach((file, i) => {
    const want = manifest.files[file.urlPath]!;
    const got = hashes[i]!;
    const same = got.size === want.size && got.integrity === want.integrity && got.chunks.every((c, k) => c === want.chunks[k]);
    if (!same) changed.push(file.urlPath);
  });
  const unlisted = files.filter((f) => !Object.hasOwn(manifest.files, f.urlPath)).map((f) => f.urlPath);
  return {
    changed: changed.sort(),
    missing: missing.sort(),
    unlisted,
    checkedFiles: present.length,
    checkedBytes: present.reduce((sum, f) => sum + f.size, 0),
  };
}
