// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * typescript-eslint's recommendedTypeChecked for everything in tsconfig.json (src, test, bench);
 * plain JS (this file, scripts/*.mjs) gets the same rules without type information.
 * strictTypeChecked as a whole was tried: 482 findings, 197 of them non-null assertions in tests
 * (`child.stdout!`) that find no bug; two of its rules that do are kept for src below.
 */
export default tseslint.config(
  { ignores: ['dist/', 'dist.*/', 'node_modules/', 'coverage/', 'test-artifacts/', 'bench/results/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks what is left out on purpose (a destructured key dropped, an unused parameter).
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Shipped code also gets these two of strictTypeChecked: they find fallbacks for values that
    // cannot be missing (`?? 0` on a number) and conversions of what already has the type.
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/no-unnecessary-type-conversion': 'error',
    },
  },
  {
    // Tests and benches read JSON bodies and AMQP payloads (`any` from Response.json() and
    // JSON.parse, or typed `any` where they are passed on) and assert on them: a wrong shape fails the assertion, which is the check these
    // rules would make every such line spell out again with a cast.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The live page's scripts run in the browser and share one scope (inlined in order in one
    // <script>): names they take from each other and from the browser are not undefined there.
    // The browser test (test/e2e/inspector.test.ts) is what checks them.
    files: ['src/http/inspector/client/**/*.js'],
    rules: { 'no-undef': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
