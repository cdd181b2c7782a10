/**
 * Lists the regular files of a site tree as manifest entries-to-be. Dotfiles are skipped unless
 * asked for; a symlink is followed only when its target stays inside the tree; `--exclude` globs
 * match like .gitignore (a pattern without '/' matches a name at any depth).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { SwarmError, urlPathFromSegments } from '../protocol/index.js';

/** A file the manifest will list. */
export interface SiteFile {
  readonly absPath: string;
  /** Relative path with '/' separators. */
  readonly relPath: string;
  readonly urlPath: string;
  readonly size: number;
}

/** A file or directory left out for a reason worth telling the user. */
export interface SkippedEntry {
  readonly relPath: string;
  readonly reason: 'symlink-outside-tree' | 'broken-symlink' | 'unsupported-name' | 'not-a-regular-file';
}

/** What to list. */
export interface WalkOptions {
  readonly dotfiles?: boolean;
  readonly exclude?: readonly string[];
  /** Absolute paths never listed (the manifest itself, a key file inside the tree). */
  readonly skip?: readonly string[];
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Walks `root` and returns its files sorted by URL path, and what it skipped. */
export async function listSiteFiles(root: string, options: WalkOptions = {}): Promise<{ files: SiteFile[]; skipped: SkippedEntry[] }> {
  let rootReal: string;
  try {
    rootReal = await realpath(root);
    if (!(await stat(rootReal)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new SwarmError('INPUT_NOT_FOUND', `site directory not found or not a directory: ${root}`);
  }
  const excluded = options.exclude?.length ? picomatch([...options.exclude], { dot: true, basename: true }) : () => false;
  const skip = new Set<string>();
  for (const p of options.skip ?? []) skip.add(await realpath(p).catch(() => p));
  const files: SiteFile[] = [];
  const skipped: SkippedEntry[] = [];
  const visitedDirs = new Set<string>([rootReal]);

  async function walk(dirAbs: string, segments: string[]): Promise<void> {
    const entries = await readdir(dirAbs, { withFileTypes: true });
    for (const entry of entries) {
      const name = entry.name;
      if (!options.dotfiles && name.startsWith('.')) continue;
      const childSegments = [...segments, name];
      const relPath = childSegments.join('/');
      if (excluded(relPath)) continue;
      // A backslash becomes '/' in a browser's URL parser, so such a name has no URL of its own.
      if (name.includes('\\')) {
        skipped.push({ relPath, reason: 'unsupported-name' });
        continue;
      }
      const absPath = join(dirAbs, name);
      let targetReal = absPath;
      if (entry.isSymbolicLink()) {
        try {
          targetReal = await realpath(absPath);
        } catch {
          skipped.push({ relPath, reason: 'broken-symlink' });
          continue;
        }
        if (!isInside(rootReal, targetReal)) {
          skipped.push({ relPath, reason: 'symlink-outside-tree' });
          continue;
        }
      }
      const info = entry.isSymbolicLink() ? await stat(targetReal) : entry;
      if (info.isDirectory()) {
        const real = entry.isSymbolicLink() ? targetReal : await realpath(absPath);
        if (visitedDirs.has(real)) continue; // a link back up the tree: listing it would never end
        visitedDirs.add(real);
        await walk(absPath, childSegments);
      } else if (info.isFile()) {
        if (skip.has(entry.isSymbolicLink() ? targetReal : absPath)) continue;
        const { size } = await stat(absPath);
        files.push({ absPath, relPath, urlPath: urlPathFromSegments(childSegments), size });
      } else {
        skipped.push({ relPath, reason: 'not-a-regular-file' });
      }
    }
  }

  await walk(rootReal, []);
  files.sort((a, b) => (a.urlPath < b.urlPath ? -1 : a.urlPath > b.urlPath ? 1 : 0));
  return { files, skipped };
}

/** The relative path of `path` under `root`, or undefined when it is outside. */
export function relativeInside(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  return rel === '' || rel.startsWith('..') ? undefined : rel;
}
