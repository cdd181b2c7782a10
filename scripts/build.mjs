// Bundles the TypeScript entry points with esbuild. Node entries keep node_modules external
// (they are installed); browser entries (added with the SW and bridge) bundle everything.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
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
  'bench/site': 'bench/site.ts',
  'bench/site-split': 'bench/site/cost-split.ts',
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
// Minified: bridge.js is a render-blocking <script> in every page's <head> (278 KB → 131 KB raw,
// 50 → 34 KB brotli). Licence comments (comlink's Apache-2.0 notice, …) stay, gathered at the end
// of the file: a few hundred bytes, and the notice travels with the code as the licences ask.
const browser = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome111', 'firefox113', 'safari17'],
  define: { 'process.env.NODE_ENV': '"production"' },
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
};
// The bridge is two bundles: bridge.js, the small render-blocking script a page's <head> carries
// (options, the SW registration and hand-over), and bridge-core.js, the ES module it imports without
// blocking the parser (PeerJS and everything else). bridge.js names the core's version in the URL it
// imports (the first 16 hex digits of the core's SHA-256; the server serves only that version).
const CORE_BUNDLE = 'dist/page-bridge/bridge-core.js';
if (existsSync('page-bridge/core-entry.ts')) {
  await build({ ...browser, format: 'esm', entryPoints: { 'page-bridge/bridge-core': 'page-bridge/core-entry.ts' }, outdir: 'dist' });
}
const coreVersion = existsSync(CORE_BUNDLE) ? createHash('sha256').update(readFileSync(CORE_BUNDLE)).digest('hex').slice(0, 16) : 'none';
const browserEntries = {
  'sw/sw': 'sw/main.ts',
  'page-bridge/bridge': 'page-bridge/main.ts',
  // The operator dashboard: uPlot bundled in, and its stylesheet (imported by main.ts) beside it as dashboard.css.
  'dashboard/dashboard': 'dashboard/main.ts',
};
await build({
  ...browser,
  define: { ...browser.define, __SWARMCDN_CORE_VERSION__: JSON.stringify(coreVersion) },
  entryPoints: Object.fromEntries(Object.entries(browserEntries).filter(([, src]) => existsSync(src))),
  outdir: 'dist',
});

// The server swaps the SW's quoted key placeholder for the trusted keys (server/plugins/assets.ts,
// bakeTrustedKeys) and refuses a bundle without exactly one. Minification must not have folded,
// split or duplicated it: fail the build here rather than the server at start-up.
const SW_BUNDLE = 'dist/sw/sw.js';
if (existsSync(browserEntries['sw/sw'])) {
  // The placeholder is defined once, in protocol/wire.ts: read it from there (bundled in memory).
  const wire = await build({ entryPoints: ['protocol/wire.ts'], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'warning' });
  const { TRUSTED_KEYS_PLACEHOLDER } = await import(`data:text/javascript,${encodeURIComponent(wire.outputFiles[0].text)}`);
  const placeholders = readFileSync(SW_BUNDLE, 'utf8').match(new RegExp(`(["'\`])${TRUSTED_KEYS_PLACEHOLDER}\\1`, 'g'))?.length ?? 0;
  if (placeholders !== 1) {
    console.error(`${SW_BUNDLE}: ${placeholders} quoted "${TRUSTED_KEYS_PLACEHOLDER}" literals after minification, expected 1`);
    process.exit(1);
  }
}

// The installable package's library entries (package.json "exports"): ESM, not minified, every
// dependency left to the site's own bundler or node_modules (workbox, comlink, fastify… resolve
// once, from the site's install). devDependencies are bundled in (peerjs, used by the bridge only).
// One build with code splitting, so the protocol code the four share is one module: a SwarmError
// thrown by swarmcdn/server is `instanceof` the one swarmcdn/protocol exports. Platform neutral:
// the browser entries must not get Node's resolution, and the server's `node:` imports stay imports.
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const libraryEntries = {
  'server/index': 'server/index.ts',
  'sw/index': 'sw/index.ts',
  'bridge/index': 'page-bridge/index.ts',
  'protocol/index': 'protocol/index.ts',
};
if (Object.values(libraryEntries).every((src) => existsSync(src))) {
  // Chunk names carry a content hash: old ones would pile up across builds.
  rmSync('dist/lib', { recursive: true, force: true });
  await build({
    entryPoints: libraryEntries,
    outdir: 'dist/lib',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['browser', 'module', 'main'],
    target: ['es2022'],
    external: [...Object.keys(pkg.dependencies ?? {}), 'node:*'],
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
}

// Type declarations for the library entries (tsconfig.build.json → dist/types) take ~10 s, so only
// `npm pack`/`npm publish` (the prepack script) and `--types` ask for them, never `npm test`.
if (process.argv.includes('--types')) {
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
