import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code is replayed and must be deterministic: no Node built-ins, and activities by type only.
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

// The shapes are zod schemas (src/shared/schemas); workflow code, the shared helpers workflows use and the web UI
// take only their types, so zod's runtime stays out of the workflow bundle and the browser
// (test/bundles.test.ts checks the built bundles).
const typesOfSchemasOnly = {
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      paths: [{ name: 'zod', allowTypeImports: true, message: 'Import zod with `import type` only here.' }],
      patterns: [
        {
          group: ['**/schemas/*'],
          allowTypeImports: true,
          message: 'Import the schemas with `import type` only here: their types, never zod at run time.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'scratch/', 'test/bench/results/', 'test/faults/results/'] },
  js.configs.recommended,
  // The CLI's entry point is plain JavaScript that runs on Node.
  { files: ['bin/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test() returns a promise the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['**/activities/*', '!**/activities/types.js'],
              message: 'Import activities with `import type` only.',
            },
            {
              group: [
                '**/process/*',
                '**/api/*',
                '**/cli/*',
                '**/devserver/*',
                '**/runs/*',
                '**/config/*',
                '**/keystore/*',
                '**/cluster/*',
                '**/worker/*',
                '**/stack/*',
              ],
              message: 'Workflow code imports only workflow-safe modules.',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['src/workflows/**/*.ts', 'src/shared/*.ts', 'ui/**/*.ts'], rules: typesOfSchemasOnly },
);
