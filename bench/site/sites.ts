/**
 * The third-party sites bench:site walks, assembled at run time into a temp directory from npm
 * packages (never edited in node_modules): `pyodide` (Pyodide's console, bench/site/pyodide-site.ts)
 * and `sb-admin-2` (a 14-page admin theme, bench/site/sb-admin-site.ts). Importing this module has
 * no side effects; a jest e2e test can prepare a site, serve `dir` with buildServer, and put
 * `injectTag(html, swarmTag())` in front of it the way the bench's proxy does.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemblePyodide } from './pyodide-site.js';
import { assembleSbAdmin } from './sb-admin-site.js';
import type { SiteLayout } from './site-types.js';

export { injectTag, swarmTag, type SwarmTagOptions } from './inject-tag.js';
export type { SiteLayout } from './site-types.js';

/** The sites, in the order the bench runs them. */
export const SITE_NAMES = ['pyodide', 'sb-admin-2'] as const;

/** One of SITE_NAMES. */
export type SiteName = (typeof SITE_NAMES)[number];

/** A site assembled on disk, ready to sign and serve. */
export interface PreparedSite extends SiteLayout {
  readonly name: SiteName;
  /** The site's root directory (sign and serve this). */
  readonly dir: string;
  /** A scratch directory beside the site, outside it (keys, manifests, moved-away files). */
  readonly workDir: string;
  /** Deletes the temp directory; safe to call twice. */
  cleanup(): void;
}

const ASSEMBLERS: Readonly<Record<SiteName, (dir: string) => SiteLayout>> = {
  pyodide: assemblePyodide,
  'sb-admin-2': assembleSbAdmin,
};

/** True for a name of SITE_NAMES. */
export function isSiteName(name: string): name is SiteName {
  return (SITE_NAMES as readonly string[]).includes(name);
}

/** Assembles `name` into a fresh temp directory (`parent` defaults to the OS temp dir). */
export async function prepareSite(name: SiteName, parent: string = tmpdir()): Promise<PreparedSite> {
  const root = mkdtempSync(join(parent, `swarmcdn-site-${name}-`));
  const cleanup = (): void => rmSync(root, { recursive: true, force: true });
  try {
    const dir = join(root, 'site');
    const workDir = join(root, 'work');
    mkdirSync(dir);
    mkdirSync(workDir);
    const layout = ASSEMBLERS[name](dir);
    return { ...layout, name, dir, workDir, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}
