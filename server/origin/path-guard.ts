/**
 * The origin's last line of defence: a file @fastify/static selected is served only if its real
 * path (symlinks resolved) lies inside the real site root and it is not one of the hidden files
 * (the manifest, published only through /swarmcdn/manifest, and a signing key) under any name:
 * neither by path nor by identity (device and inode), so a hard link to the key, or a symlink to
 * such a link, is refused like the key itself. `..`, encoded separators and dotfiles are refused
 * earlier by @fastify/static and @fastify/send; this catches a symlink that points out of the
 * tree and a second name of a hidden file, which neither checks.
 */
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { SwarmError } from '../../protocol/index.js';

/** Checks selected files against the real site root. */
export interface PathGuard {
  /** The site root with symlinks resolved. */
  readonly root: string;
  /** Resolves when `path` (whose stat, symlinks followed, is `stats`) may be served; rejects with NOT_FOUND when it may not. */
  check(path: string, stats: Pick<Stats, 'dev' | 'ino'>): Promise<void>;
}

/**
 * 1 s: how long the hidden files' identities are trusted before they are taken again. The manifest
 * is replaced by rename on every build (a new inode) and a key may be rotated; one stat per hidden
 * file per second costs nothing, one per request would cost a system call each.
 */
const IDENTITY_TTL_MS = 1000;

function identityOf(stats: Pick<Stats, 'dev' | 'ino'>): string {
  return `${stats.dev}:${stats.ino}`;
}

/** The identities (device:inode) of files, taken again when older than IDENTITY_TTL_MS. */
function identities(paths: readonly string[]): () => Promise<ReadonlySet<string>> {
  let known: ReadonlySet<string> = new Set();
  let takenAt = -Infinity;
  let taking: Promise<ReadonlySet<string>> | undefined;
  const take = async (): Promise<ReadonlySet<string>> => {
    const all = await Promise.all(paths.map((p) => stat(p).catch(() => undefined)));
    known = new Set(all.filter((s) => s !== undefined).map(identityOf));
    takenAt = Date.now();
    return known;
  };
  return () => {
    if (Date.now() - takenAt < IDENTITY_TTL_MS) return Promise.resolve(known);
    taking ??= take().finally(() => (taking = undefined));
    return taking;
  };
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The real path of a file that may not exist yet (the manifest before its first build). */
async function realpathOfMaybeMissing(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return join(await realpath(dirname(path)).catch(() => dirname(path)), basename(path));
  }
}

/** A guard for a site root; `hidden` files are never served even inside it. */
export async function createPathGuard(siteDir: string, hidden: readonly string[]): Promise<PathGuard> {
  let root: string;
  try {
    root = await realpath(siteDir);
  } catch {
    throw new SwarmError('CONFIG_INVALID', `siteDir does not exist or cannot be read: ${siteDir}`);
  }
  const hiddenReal = new Set(await Promise.all(hidden.map(realpathOfMaybeMissing)));
  const hiddenIdentities = identities(hidden);
  await hiddenIdentities();
  return {
    root,
    // No cache: realpath(3) is one system call, and a cached answer would go stale the moment a
    // symlink in the tree is retargeted.
    async check(path, stats) {
      const real = await realpath(path).catch(() => undefined);
      // NOT_FOUND rather than PATH_FORBIDDEN: whether an escaping symlink or a second name of the key exists is nobody's business.
      if (real === undefined || !isInside(root, real) || hiddenReal.has(real)) throw new SwarmError('NOT_FOUND');
      if ((await hiddenIdentities()).has(identityOf(stats))) throw new SwarmError('NOT_FOUND');
    },
  };
}
