/**
 * The origin's last line of defence: a file @fastify/static selected is served only if its real
 * path (symlinks resolved) lies inside the real site root and is not one of the hidden files (the
 * manifest, published only through /swarmcdn/manifest, and a signing key). `..`, encoded
 * separators and dotfiles are refused earlier by @fastify/static and @fastify/send; this catches a
 * symlink that points out of the tree, which neither checks.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { SwarmError } from '../../protocol/index.js';

/** Checks selected files against the real site root. */
export interface PathGuard {
  /** The site root with symlinks resolved. */
  readonly root: string;
  /** Resolves when `path` may be served; rejects with NOT_FOUND when it may not. */
  check(path: string): Promise<void>;
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
  return {
    root,
    // No cache: realpath(3) is one system call, and a cached answer would go stale the moment a
    // symlink in the tree is retargeted.
    async check(path) {
      const real = await realpath(path).catch(() => undefined);
      // NOT_FOUND rather than PATH_FORBIDDEN: whether an escaping symlink exists is nobody's business.
      if (real === undefined || !isInside(root, real) || hiddenReal.has(real)) throw new SwarmError('NOT_FOUND');
    },
  };
}
