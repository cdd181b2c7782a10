/**
 * A real third-party site for the e2e tests: one of bench:site's sites, assembled from its npm
 * packages into a temp directory (bench/site/sites.ts), with our script tag as the first thing in
 * every HTML `<head>` of that copy (the one change a site makes; the packages are never edited),
 * signed with the real CLI and a fresh key. The bench adds the tag in its proxy instead, to compare
 * with and without it; a test only needs the "with".
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareSite, injectTag, type PreparedSite, type SiteName } from '../../../bench/site/sites.js';
import type { Manifest } from '../../../protocol/index.js';
import { assertCliBuilt, keygen, swarmcdnJson } from '../../support/cli.js';
import { readSiteManifest, siteEntry, type E2eSite, type SiteFile } from './site.js';

/** The plain tag with host-only ICE (the test machine has no STUN); every other option is the default. */
const TAG = '<script src="/swarmcdn/bridge.js" data-ice-servers="[]"></script>';

/** A third-party site as an E2eSite, with its walk. */
export interface NpmSite extends E2eSite {
  readonly prepared: PreparedSite;
  /** Manifest paths of every file that is not HTML. */
  readonly assets: readonly string[];
  /** Deletes every non-HTML file from the served directory. */
  removeAssets(): Promise<void>;
}

async function htmlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.html?$/i.test(e.name)).map((e) => join(e.parentPath, e.name));
}

/** The file on disk behind a manifest path (percent-decoded segment by segment). */
function diskPath(dir: string, path: string): string {
  return join(dir, ...path.slice(1).split('/').map(decodeURIComponent));
}

/** Assembles, tags and signs site `name`. */
export async function makeNpmSite(name: SiteName): Promise<NpmSite> {
  assertCliBuilt();
  const prepared = await prepareSite(name);
  try {
    for (const file of await htmlFiles(prepared.dir)) await writeFile(file, injectTag(await readFile(file, 'utf8'), TAG));
    const keys = await keygen(prepared.workDir);
    const manifest = (): Promise<Manifest> => readSiteManifest(prepared.dir);
    const publish = async (): Promise<number> => {
      const run = await swarmcdnJson<{ version: number }>(['manifest', 'build', prepared.dir, '--key', keys.key, '--threads', '0']);
      if (run.code !== 0) throw new Error(`manifest build failed: ${JSON.stringify(run)}`);
      return run.json.version;
    };
    await publish();
    const files = new Map<string, SiteFile>();
    for (const path of Object.keys((await manifest()).files)) {
      const bytes = await readFile(diskPath(prepared.dir, path));
      files.set(path, { path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    const assets = [...files.keys()].filter((p) => !/\.html?$/i.test(p));
    return {
      prepared,
      dir: prepared.dir,
      keys,
      files,
      assets,
      outside: files.get(prepared.landing)!,
      manifest,
      entry: (path) => siteEntry(prepared.dir, path),
      bytes: (path) => readFile(diskPath(prepared.dir, path)),
      publish,
      removeAssets: async () => {
        for (const path of assets) await rm(diskPath(prepared.dir, path), { force: true });
      },
      cleanup: async () => prepared.cleanup(),
    };
  } catch (error) {
    prepared.cleanup();
    throw error;
  }
}
