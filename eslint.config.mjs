import { builtinModules } from 'node:module';
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

const workflowSandboxMessage =
  'Workflow code runs in the deterministic workflow sandbox: no Node built-ins, no I/O clients. Do I/O in an activity and import activities as types only.';

/**
 * The layers (docs/architecture.md, "Layers"): imports point down. Each zone names a folder and
 * the folders it must not import from; a type-only import counts too, except workflows' imports of
 * activities (the workflow sandbox rule below keeps those to `import type`).
 */
const everythingOfOurs = [
  'api',
  'activities',
  'bench',
  'chaos',
  'cli',
  'config',
  'dev',
  'docs-index',
  'executor',
  'fuzz',
  'infra',
  'llm',
  'observability',
  'replay',
  'sandbox',
  'store',
  'test',
  'web',
  'worker',
  'workflows',
];
const entryPoints = ['api', 'bench', 'chaos', 'cli', 'dev', 'fuzz', 'infra', 'replay', 'web', 'worker'];
const layerZones = [
  {
    target: './contract',
    from: everythingOfOurs.map((folder) => `./${folder}`),
    message: 'contract/ is the bottom layer: it imports zod and nothing of ours.',
  },
  {
    target: './config',
    from: everythingOfOurs.filter((folder) => folder !== 'config' && folder !== 'infra').map((f) => `./${f}`),
    message: 'config/ sits at the bottom beside contract/: it may import only contract/ and infra/cache.ts.',
  },
  {
    target: './config',
    from: './infra',
    except: ['./cache.ts'],
    message: 'config/ may import only the cache paths of infra/.',
  },
  ...['store', 'sandbox', 'llm', 'docs-index'].map((gateway) => ({
    target: `./${gateway}`,
    from: [...entryPoints, 'workflows', 'activities', 'executor', 'observability']
      .concat(['store', 'sandbox', 'llm', 'docs-index'].filter((other) => other !== gateway))
      .map((folder) => `./${folder}`),
    message: `${gateway}/ is a gateway: it imports contract/ and config, never the layers above it or another gateway.`,
  })),
  {
    target: './executor',
    from: [...entryPoints, 'workflows', 'activities'].map((folder) => `./${folder}`),
    message: 'executor/ runs tools for the layers above it and imports none of them.',
  },
  {
    target: './activities',
    from: [...entryPoints, 'workflows'].map((folder) => `./${folder}`),
    message: 'activities/ are the stages the workflows call: they import neither workflows nor entry points.',
  },
  {
    target: './workflows',
    from: [...entryPoints, 'store', 'sandbox', 'llm', 'docs-index', 'executor', 'observability'].map((f) => `./${f}`),
    message: 'workflows/ are deterministic orchestration: only contract/, their own modules and activity types.',
  },
  {
    target: './web',
    from: everythingOfOurs.filter((folder) => folder !== 'web').map((folder) => `./${folder}`),
    message: 'The web console is bundled for the browser: it imports only contract/ (types and status lists).',
  },
  {
    target: everythingOfOurs.filter((folder) => folder !== 'test').map((folder) => `./${folder}`),
    from: './test',
    message: 'Nothing imports test/: what tests share with dev tools lives in dev/.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['tsconfig.json', 'web/tsconfig.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
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
              group: ['node:*', '../activities', '../activities/*'],
              allowTypeImports: true,
              message: workflowSandboxMessage,
            },
          ],
        },
      ],
    },
  },
  {
    // the tests and the dev tools they share read untyped JSON answers
    files: ['test/**/*.ts', 'dev/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
