// Jest transformer: TypeScript → ES module JavaScript with esbuild (type-checking is `npm run
// typecheck`'s job). esbuild is already the project's bundler, and unlike @swc/core its platform
// binaries are all on the registry this project installs from, so `npm ci` stays reproducible.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
    });
    return { code, map };
  },
};
