// ESLint (typescript-eslint), run by `npm test`: the recommended rules, which the code already
// follows, plus the few settings its deliberate patterns need. Types are checked by tsc, not here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // tsc resolves every name in TypeScript; the few .js/.mjs/.cjs scripts run in Node or the demo page.
      'no-undef': 'off',
      // `_name` marks a value kept on purpose (a destructured field left out, an unused parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // The signalling hub's shared socket listeners are functions called with `this` = the socket; they reach the hub by name.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['hub'] }],
    },
  },
  {
    // Jest's CommonJS hooks (transform, module shims) load with require.
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
