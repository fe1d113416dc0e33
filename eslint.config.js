// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.scratch/**', '.guide-test-*/**', '.bench-out/**', 'node_modules/**', 'coverage/**', 'src/**/testdata/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Time and randomness are injected (ARCHITECTURE.md convention 5): core code must use the
      // Clock seam and an injected random(), so the simulator and tests can control them.
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use the injected Clock (clock.now()).' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use an injected random().' },
        { selector: "CallExpression[callee.name='setTimeout']", message: 'Use the injected Clock.' },
        { selector: "CallExpression[callee.name='setInterval']", message: 'Use the injected Clock.' },
      ],
    },
  },
  {
    // The real clock is the one place allowed to touch wall time; tests, benchmarks and scripts
    // may measure real time.
    files: ['src/kube/clock.ts', 'bench/**', 'scripts/**', '**/*.test.ts', 'test/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**'],
    rules: {
      // node:test's describe/it return promises that the runner awaits itself.
      '@typescript-eslint/no-floating-promises': 'off',
      // Test doubles often implement async interfaces without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['eslint.config.js', 'scripts/**/*.mjs', 'test/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
);
