#!/usr/bin/env node
// The CLI is bundled to dist/ by `npm run build`, which `npm ci` runs through the `prepare` script.
import { existsSync } from 'node:fs';
const cli = new URL('../dist/manifest-tool/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('swarmcdn: not built yet: run `npm run build` (npm ci does it through `prepare`)\n');
  process.exit(2);
}
await import(cli.href);
