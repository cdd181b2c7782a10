/** Jest runs the TypeScript sources as native ES modules, transformed by esbuild (no type-check: `npm run typecheck` does that). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // Sources import './x.js' (NodeNext style); map those to the .ts files.
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // ESM-only packages that CommonJS dependencies require(), which jest 29 cannot do; see test/support/esm-as-cjs.cjs.
    '^(content-disposition|cookie)$': '<rootDir>/test/support/esm-only/$1.cjs',
  },
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.cjs' },
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  testTimeout: 60_000,
};
