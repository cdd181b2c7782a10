// Jest 29 cannot require() an ES module, and some CommonJS dependencies require() packages that
// ship as ESM only (Node ≥ 20.19 loads those natively; jest's module runtime does not):
// @fastify/static → content-disposition@3, light-my-request (Fastify's inject) → cookie@1. Under
// jest only, jest.config.js maps those names to test/support/esm-only/<name>.cjs, which loads the
// real package through this function: transpiled to CommonJS by esbuild (the project's bundler)
// and evaluated — the same code, not a stand-in.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('esbuild');

/** The exports of an ESM-only package's single entry file (its `exports` must be one path). */
module.exports = function esmAsCjs(name) {
  const root = join(__dirname, '../../node_modules', name);
  const entry = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports;
  if (typeof entry !== 'string') throw new Error(`${name}: expected "exports" to be one file`);
  const file = join(root, entry);
  const { code } = transformSync(readFileSync(file, 'utf8'), { format: 'cjs', target: 'node20', sourcefile: file });
  const loaded = { exports: {} };
  new Function('module', 'exports', 'require', code)(loaded, loaded.exports, require);
  return loaded.exports;
};
