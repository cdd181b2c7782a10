// Bundles the TypeScript entry points with esbuild. Node entries keep node_modules external
// (they are installed); browser entries (added with the SW and bridge) bundle everything.
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

await build({
  ...node,
  entryPoints: {
    'manifest-tool/cli': 'manifest-tool/cli.ts',
    'manifest-tool/hash-worker': 'manifest-tool/hash-worker.ts',
    'bench/manifest': 'bench/manifest.ts',
  },
  outdir: 'dist',
});
