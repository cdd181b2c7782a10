#!/usr/bin/env node
// The `swarmcdn` command. `serve` starts the server; everything else is the manifest tool. They are
// separate bundles (the wings never import each other), built to dist/ by `npm run build`, which
// `npm ci` runs through the `prepare` script.
import { existsSync } from 'node:fs';

const entry = process.argv[2] === 'serve' ? '../dist/server/main.js' : '../dist/manifest-tool/cli.js';
const url = new URL(entry, import.meta.url);
if (!existsSync(url)) {
  process.stderr.write('swarmcdn: not built yet: run `npm run build` (npm ci does it through `prepare`)\n');
  process.exit(2);
}
await import(url.href);
