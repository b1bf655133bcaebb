import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const workflowSandboxMessage =
  'Workflow code runs in the deterministic workflow sandbox: no Node built-ins, no I/O clients. Do I/O in an activity and import activities as types only.';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...builtinModules.flatMap((name) => [name, `node:${name}`]),
            'mongodb',
            'openai',
            'express',
            '@temporalio/worker',
            '@temporalio/client',
            '@temporalio/activity',
          ].map((name) => ({ name, message: workflowSandboxMessage })),
          patterns: [
            {
              group: [
                'node:*',
                '../activities',
                '../activities/*',
                '../store',
                '../store/*',
                '../llm',
                '../llm/*',
                '../sandbox',
                '../sandbox/*',
                '../api',
                '../api/*',
                '../worker',
                '../worker/*',
                '../infra',
                '../infra/*',
                '../config',
              ],
              allowTypeImports: true,
              message: workflowSandboxMessage,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
