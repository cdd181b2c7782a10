// Bundles the TypeScript entry points with esbuild. Node entries keep node_modules external
// (they are installed); browser entries (added with the SW and bridge) bundle everything.
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

const node = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};

// Entries that exist so far (later work adds the server entry and more benches).
const entries = {
  'manifest-tool/cli': 'manifest-tool/cli.ts',
  'manifest-tool/hash-worker': 'manifest-tool/hash-worker.ts',
  'server/main': 'server/main.ts',
  'bench/manifest': 'bench/manifest.ts',
  'bench/signal': 'bench/signal.ts',
  'bench/load/signal-peers': 'bench/load/signal-peers.ts',
  'bench/p2p': 'bench/p2p.ts',
};
await build({
  ...node,
  entryPoints: Object.fromEntries(Object.entries(entries).filter(([, src]) => existsSync(src))),
  outdir: 'dist',
});

// Browser bundles: everything bundled, one classic script each (a service worker registered without
// `type: 'module'` and a plain <script> tag both run an IIFE). No source map: the browser would ask
// the server for a .map it does not serve.
// NODE_ENV=production strips Workbox's development-only logging and assertions from the SW.
const browser = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome111', 'firefox113', 'safari17'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};
const browserEntries = {
  'sw/sw': 'sw/main.ts',
  'page-bridge/bridge': 'page-bridge/main.ts',
};
await build({
  ...browser,
  entryPoints: Object.fromEntries(Object.entries(browserEntries).filter(([, src]) => existsSync(src))),
  outdir: 'dist',
});
