/**
 * Where the swarmcdn package lives on disk. The server runs from its TypeScript sources (jest) and
 * from the bundle (dist/server/main.js), at different depths, so paths to bin/ and dist/ are found
 * by walking up to the package.json rather than by a fixed '../..'.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwarmError } from '../protocol/index.js';

let cached: string | undefined;

/** The directory holding swarmcdn's package.json. */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'swarmcdn') return (cached = dir);
      } catch {
        // Not ours (or unreadable): keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new SwarmError('INTERNAL', 'cannot find the swarmcdn package root above the server module');
    dir = parent;
  }
}
