// Lint rules. `npm run lint` (part of `npm test`) runs eslint and prettier's check.
// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What workflow code may import (mirrors test/unit/workflow-imports.test.ts, which also follows imports transitively). */
// @noble/hashes: pure-JS SHA-256 (the keepers hash tokens for invalidate; node:crypto is not deterministic-sandbox safe).
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'zod', 'asn1js', '@noble/hashes'];

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'Buffer',
    'URL',
    'fetch',
    'AbortSignal',
    'performance',
  ].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.sandbox/', '.trustflow/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits loses its error (and, in a worker, its ordering).
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      // A handler that reads a variable the flow assigns later is the point of some workflows.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests read the sandbox's admin JSON and CLI output loosely.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code, by file role: everything in src/flows/ but the activities.
    files: ['src/flows/**/*.ts'],
    ignores: ['src/flows/**/activities.ts', 'src/flows/**/*.activities.ts'],
    rules: {
      // Deterministic code only: no Node built-ins, no I/O libraries.
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.map((name) => ({ name, message: 'workflow code runs in the deterministic sandbox: no Node built-ins' })),
          patterns: [
            { group: ['node:*'], message: 'workflow code runs in the deterministic sandbox: no Node built-ins' },
            {
              regex: `^(?!\\.|(${WORKFLOW_PACKAGES.map((p) => p.replace('/', '\\/')).join('|')})(\\/|$))`,
              message: `workflow code may import only ${WORKFLOW_PACKAGES.join(', ')} and relative modules`,
            },
          ],
        },
      ],
      // Activities are called through proxies (flows/activity-proxies.ts), never imported as values.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities.js', '**/*.activities.js'],
              allowTypeImports: true,
              message: 'import activities with `import type` only',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ignores: ['src/signing-page/assets/**'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    // The signing page's browser code (bundled by src/signing-page/page-bundle.ts): browser globals, no Node ones.
    files: ['src/signing-page/assets/**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'navigator',
          'fetch',
          'URL',
          'URLSearchParams',
          'WebSocket',
          'crypto',
          'atob',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
);
