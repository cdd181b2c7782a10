/**
 * Lists the regular files of a site tree as manifest entries-to-be. Dotfiles are skipped unless
 * asked for; a symlink is followed only when its target stays inside the tree; `--exclude` globs
 * match like .gitignore (a pattern without '/' matches a name at any depth). Files are compared by
 * identity (device and inode), so a path through a symlinked directory is still recognized.
 */
import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
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
  /** Files never listed (the manifest itself). */
  readonly skip?: readonly string[];
  /** Files that must never be published (private keys): finding one in the listing is an error. */
  readonly forbid?: readonly string[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function identities(paths: readonly string[] | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of paths ?? []) {
    const info = await stat(path).catch(() => undefined);
    if (info) out.set(`${info.dev}:${info.ino}`, path);
  }
  return out;
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
  const skip = await identities(options.skip);
  const forbid = await identities(options.forbid);
  const files: SiteFile[] = [];
  const skipped: SkippedEntry[] = [];
  const visitedDirs = new Set<string>([rootReal]);

  async function walk(dirAbs: string, segments: string[]): Promise<void> {
    const entries = await readdir(dirAbs, { withFileTypes: true, encoding: 'buffer' });
    // Entries are handled concurrently: the walk is stat-bound, and the result is sorted at the end.
    await Promise.all(entries.map((entry) => visit(dirAbs, segments, entry)));
  }

  async function visit(dirAbs: string, segments: string[], entry: Dirent<Buffer>): Promise<void> {
    let name: string;
    try {
      name = strictUtf8.decode(entry.name);
    } catch {
      // Not UTF-8: no URL names it reliably (and Node could not even stat it by its string name).
      skipped.push({ relPath: [...segments, entry.name.toString('latin1')].join('/'), reason: 'unsupported-name' });
      return;
    }
    if (!options.dotfiles && name.startsWith('.')) return;
    const childSegments = [...segments, name];
    const relPath = childSegments.join('/');
    if (excluded(relPath)) return;
    // A backslash becomes '/' in a browser's URL parser, so such a name has no URL of its own.
    if (name.includes('\\')) {
      skipped.push({ relPath, reason: 'unsupported-name' });
      return;
    }
    const absPath = join(dirAbs, name);
    let info: Dirent<Buffer> | Stats = entry;
    if (entry.isSymbolicLink()) {
      let real: string;
      try {
        real = await realpath(absPath);
        info = await stat(real);
      } catch {
        skipped.push({ relPath, reason: 'broken-symlink' });
        return;
      }
      if (!isInside(rootReal, real)) {
        skipped.push({ relPath, reason: 'symlink-outside-tree' });
        return;
      }
    }
    if (info.isDirectory()) {
      const real = await realpath(absPath);
      if (visitedDirs.has(real)) return; // a link back up the tree: listing it would never end
      visitedDirs.add(real);
      await walk(absPath, childSegments);
    } else if (info.isFile()) {
      const st = 'size' in info ? info : await stat(absPath);
      const identity = `${st.dev}:${st.ino}`;
      if (skip.has(identity)) return;
      if (forbid.has(identity)) {
        throw new SwarmError('CONFIG_INVALID', `${forbid.get(identity)} is inside the site as ${relPath}: it would be published; move it out of the site`, {
          path: relPath,
        });
      }
      files.push({ absPath, relPath, urlPath: urlPathFromSegments(childSegments), size: st.size });
    } else {
      skipped.push({ relPath, reason: 'not-a-regular-file' });
    }
  }

  await walk(rootReal, []);
  files.sort((a, b) => (a.urlPath < b.urlPath ? -1 : a.urlPath > b.urlPath ? 1 : 0));
  return { files, skipped };
}
