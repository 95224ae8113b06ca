// Small on purpose: typescript-eslint's recommended rules, Prettier for layout, and the few
// rules that catch what review keeps missing (an un-awaited promise is not among them: it needs
// type information, which would triple the lint time).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'examples/typed-client/src/api.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // TypeScript checks names itself; the scripts run on Node, whose globals this rule does not know.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Nest's DI and TypeORM's metadata rely on classes with constructor-only bodies.
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always'],
      'max-len': ['error', { code: 140, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
