// The house rules a linter can hold (ARCHITECTURE.md "Rules"); test/unit/architecture.test.ts keeps
// what it cannot (function sizes, the whole import graph). `npm run lint`, part of `npm test`.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/** Everywhere in src/ but where it lives: HTTP goes through adapters/http.ts (doctor's network probes aside), SQLite through state/sqlite.ts. */
const everywhere = {
  paths: [
    // Types (AxiosResponse) carry no code: allowed.
    {name: 'axios', message: 'HTTP goes through adapters/http.ts.', allowTypeImports: true},
    {name: 'node:sqlite', message: 'SQLite is loaded by state/sqlite.ts only.', allowTypeImports: true},
  ],
  patterns: [{group: ['http-proxy-agent', 'https-proxy-agent', 'proxy-from-env'], message: 'HTTP goes through adapters/http.ts.'}],
}
const exempt = ['src/adapters/http.ts', 'src/services/doctor/checks/network.ts', 'src/services/doctor/checks/local.ts', 'src/state/sqlite.ts']

/** Import boundaries: what a folder of src/ may not import besides (patterns and paths of no-restricted-imports). */
const boundaries = {
  'src/core/**': {
    patterns: [{group: ['../adapters/*', '../services/*', '../services/**', '../state/*', '../sandbox/*', '../cli/*', '../commands/*', '../commands/**', '../config/*'], message: 'The core is pure: no outer layer.'}],
    paths: ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'node:tls', 'node:child_process', 'node:dns', 'fastify', 'nodemailer'].map((name) => ({name, message: 'The core does no I/O.'})),
  },
  'src/sandbox/**': {
    patterns: [{group: ['../adapters/*', '../services/*', '../services/**', '../cli/*', '../commands/*', '../commands/**'], message: 'The sandbox must not agree with the client by sharing its code.'}],
  },
  'src/commands/**': {
    patterns: [{group: ['../adapters/*', '../../adapters/*', '../state/*', '../../state/*'], message: 'Commands reach the outside systems and the state through the run context (services/run-context.ts).', allowTypeImports: true}],
  },
}
const restricted = (extra = {}) => ['error', {paths: [...everywhere.paths, ...(extra.paths ?? [])], patterns: [...everywhere.patterns, ...(extra.patterns ?? [])]}]

export default tseslint.config(
  {ignores: ['dist/**', 'release/**', 'node_modules/**', 'coverage/**', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {languageOptions: {globals: {...globals.node}}},
  {
    files: ['**/*.ts'],
    // tsconfig.check.json holds src/, test/ and vitest.config.ts: the types every rule below reads.
    languageOptions: {parserOptions: {project: ['./tsconfig.check.json'], tsconfigRootDir: import.meta.dirname}},
    rules: {
      // A promise nobody awaits loses its error (and a handover's order).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none'}],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
      'no-empty': ['error', {allowEmptyCatch: true}],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // Only BaseCommand ends the process: with the error's exit code, after the spinner and the JSON document.
      'no-restricted-properties': ['error', {object: 'process', property: 'exit', message: 'Throw an AppError; BaseCommand exits with its code.'}],
      'no-console': 'error',
    },
  },
  {files: ['src/cli/base-command.ts'], rules: {'no-restricted-properties': 'off'}},
  // CommonJS on purpose: preloads (--require) and a benchmark of CommonJS loading.
  {files: ['**/*.cjs'], languageOptions: {sourceType: 'commonjs'}, rules: {'@typescript-eslint/no-require-imports': 'off'}},
  // One rule object a file: flat config replaces a rule's options, it does not merge them.
  {files: ['src/**/*.ts'], ignores: [...exempt, ...Object.keys(boundaries)], rules: {'@typescript-eslint/no-restricted-imports': restricted()}},
  ...Object.entries(boundaries).map(([files, extra]) => ({files: [files], rules: {'@typescript-eslint/no-restricted-imports': restricted(extra)}})),
)
