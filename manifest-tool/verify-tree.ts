/** `verify --dir`: re-hash a tree and compare it with a verified manifest. */
import { resolve } from 'node:path';
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

/** Compares `dir` with `manifest`; `skip` holds paths that are not site files (the manifest itself). */
export async function verifyTree(
  manifest: Manifest,
  dir: string,
  options: { threads?: number; dotfiles?: boolean; exclude?: readonly string[]; skip?: readonly string[] } = {},
): Promise<TreeReport> {
  const { files } = await listSiteFiles(resolve(dir), {
    dotfiles: options.dotfiles ?? false,
    exclude: options.exclude ?? [],
    skip: options.skip ?? [],
  });
  const onDisk = new Map(files.map((f) => [f.urlPath, f]));
  const listed = files.filter((f) => Object.hasOwn(manifest.files, f.urlPath));
  const hashes = await hashFiles(
    listed.map((f) => ({ path: f.absPath, size: f.size })),
    { chunkSize: manifest.chunkSize, threads: options.threads },
  );
  const changed: string[] = [];
  listed.forEach((file, i) => {
    const want = manifest.files[file.urlPath]!;
    const got = hashes[i]!;
    const same = got.size === want.size && got.integrity === want.integrity && got.chunks.every((c, k) => c === want.chunks[k]);
    if (!same) changed.push(file.urlPath);
  });
  const missing = Object.keys(manifest.files).filter((p) => !onDisk.has(p)).sort();
  const unlisted = files.filter((f) => !Object.hasOwn(manifest.files, f.urlPath)).map((f) => f.urlPath);
  return {
    changed,
    missing,
    unlisted,
    checkedFiles: listed.length,
    checkedBytes: listed.reduce((sum, f) => sum + f.size, 0),
  };
}
