/**
 * Where the swarmcdn package lives on disk. The server runs from its TypeScript sources (jest), from
 * the bundles (dist/server/main.js, dist/lib/server/index.js) and from node_modules/swarmcdn once
 * installed, at different depths, so paths to bin/ and dist/ are found by walking up to the
 * package.json rather than by a fixed '../..'. A site that bundles swarmcdn/server into its own
 * server file moves this module out of the package: then Node's resolution of
 * `swarmcdn/package.json` from that file finds the installed package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwarmError } from '../protocol/index.js';

let cached: string | undefined;

/** True when `dir` holds swarmcdn's package.json. */
function isPackageRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'swarmcdn';
  } catch {
    return false;
  }
}

/** The installed package as Node resolves it from this module (package.json is exported for this). */
function resolvedRoot(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('swarmcdn/package.json'));
  } catch {
    return undefined;
  }
}

/** The directory holding swarmcdn's package.json. */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (isPackageRoot(dir)) return (cached = dir);
    if (dirname(dir) === dir) break;
  }
  const resolved = resolvedRoot();
  if (resolved !== undefined && isPackageRoot(resolved)) return (cached = resolved);
  throw new SwarmError('INTERNAL', 'cannot find the swarmcdn package root above the server module, nor resolve swarmcdn/package.json from it');
}
