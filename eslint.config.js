import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'dist/**'] },
  { files: ['scripts/**/*.mjs', 'bench/**/*.mjs', 'test/**/*.mjs'], languageOptions: { globals: { process: 'readonly', fetch: 'readonly', performance: 'readonly' } } },
  js.configs.recommended,
  // Type-aware rules: a floating promise, a misused one or an `any` leaking in is a lint error.
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      'no-console': 'off',
      // Which better-sqlite3 runs depends on the Node version (Node 20 has no `better-sqlite3` at all):
      // src/storage/sqliteDriver.ts loads the right one; types may come from the package.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'better-sqlite3', message: 'Load SQLite through sqliteDriver() (src/storage/sqliteDriver.ts): the package depends on the Node version.', allowTypeImports: true },
            { name: 'better-sqlite3-node20', message: 'Load SQLite through sqliteDriver() (src/storage/sqliteDriver.ts).', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  // Plain JavaScript (this file, scripts, bench peers) is outside the TypeScript project: no type information to use.
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
