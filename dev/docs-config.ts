/**
 * `npm run docs:config`: writes docs/configuration.md from the zod schema of config/environment.ts (each
 * variable's `.describe()` text and its default, computed by parsing an unset value) and from
 * infra/provisioning-variables.ts. `npm run docs:config -- --check` only compares, and exits 1 when
 * the file is stale; test/unit/docs-config.test.ts does the same.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import type { z } from 'zod';
import { configVariableNames, environmentSchema, type Environment } from '../config';
import { defaultDataDir, projectRoot, toolsmithCacheDir } from '../infra/cache';
import { provisioningVariables } from '../infra/provisioning-variables';
import { DEFAULT_PRELOAD } from '../sandbox/preload';

export const CONFIGURATION_DOC = path.join(projectRoot(), 'docs', 'configuration.md');

type Name = keyof Environment;

/** The sections of the reference, in order; a variable not named here lands in "Other". */
const GROUPS: { title: string; intro?: string; names: Name[] }[] = [
  {
    title: 'The model',
    names: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL', 'LLM_REQUEST_TIMEOUT_MS', 'LLM_MAX_CALLS_PER_SECOND'],
  },
  {
    title: 'MongoDB and Temporal',
    names: [
      'MONGODB_URL',
      'MONGODB_DB_NAME',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_TASK_QUEUE',
      'TEMPORAL_UI_URL',
      'WORKFLOW_BUNDLE_PATH',
    ],
  },
  {
    title: 'The API',
    names: [
      'HOST',
      'PORT',
      'RATE_LIMIT_PER_MINUTE',
      'MAX_RUNNING_JOBS_PER_CLIENT',
      'REQUEST_BODY_LIMIT_BYTES',
      'HEALTH_CHECK_TIMEOUT_MS',
    ],
  },
  {
    title: 'Generation',
    names: ['GENERATION_MAX_REPAIR_ROUNDS', 'TOOL_GENERATION_DEADLINE_MS', 'TOOLS_DIR'],
  },
  {
    title: 'The sandbox: validation (worker)',
    intro: 'Generated code only ever runs in bubblewrap; see [the architecture](architecture.md).',
    names: [
      'TOOL_RUNTIME_DIR',
      'BWRAP_PATH',
      'SANDBOX_VALIDATION',
      'SANDBOX_POOL_SIZE',
      'SANDBOX_QUEUE_TIMEOUT_MS',
      'SANDBOX_WALL_TIME_MS',
      'SANDBOX_MEMORY_MB',
      'SANDBOX_OUTPUT_BYTES',
    ],
  },
  {
    title: "The sandbox: tool calls (the API's pool)",
    names: [
      'EXECUTOR_POOL_SIZE',
      'EXECUTOR_POOL_MIN_WARM',
      'EXECUTOR_IDLE_MS',
      'EXECUTOR_QUEUE_TIMEOUT_MS',
      'EXECUTOR_WALL_TIME_MS',
      'EXECUTOR_MEMORY_MB',
      'EXECUTOR_OUTPUT_BYTES',
      'EXECUTOR_PRELOAD',
    ],
  },
  {
    title: 'Logs, metrics, traces, shutdown',
    names: [
      'LOG_LEVEL',
      'LOG_PRETTY',
      'WORKER_METRICS_PORT',
      'TEMPORAL_METRICS_PORT',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'SHUTDOWN_GRACE_MS',
    ],
  },
  {
    title: '`npm start` (the embedded stack)',
    intro: 'Read by `npm start` only; with `TEMPORAL_ADDRESS` or `MONGODB_URL` set, that server is not started.',
    names: [
      'TEMPORAL_DEV_PORT',
      'TEMPORAL_UI_PORT',
      'EMBEDDED_MONGODB_PORT',
      'RESTART_MAX_CRASHES',
      'RESTART_WINDOW_MS',
      'TOOLSMITH_API_COMMAND',
      'TOOLSMITH_WORKER_COMMAND',
    ],
  },
];

/** Defaults the schema leaves unset (undefined) but a later layer fills in. */
const UNSET_DEFAULTS: Partial<Record<Name, string>> = {
  EXECUTOR_PRELOAD: `\`${DEFAULT_PRELOAD.join(',')}\``,
};

/** A path default as a reader's machine has it: under `~/.cache/toolsmith`, `.data` or `~`, never this machine's. */
export function displayPath(value: string): string {
  const prefixes: [string, string][] = [
    [toolsmithCacheDir(), '~/.cache/toolsmith'],
    [defaultDataDir(), '.data'],
    [projectRoot(), '.'],
    [os.homedir(), '~'],
  ];
  for (const [prefix, shown] of prefixes) {
    if (value === prefix) return shown;
    if (value.startsWith(prefix + path.sep))
      return path.posix.join(shown, ...value.slice(prefix.length + 1).split(path.sep));
  }
  return value;
}

function shownDefault(name: Name): string {
  const field = environmentSchema.shape[name] as z.ZodType;
  const parsed = field.safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  if (value === undefined) return UNSET_DEFAULTS[name] ?? 'unset';
  if (typeof value === 'string')
    return value === '' ? '`""`' : `\`${path.isAbsolute(value) ? displayPath(value) : value}\``;
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
}

function description(name: Name): string {
  const text = (environmentSchema.shape[name] as z.ZodType).description;
  if (!text) throw new Error(`config/environment.ts: ${name} has no .describe() text`);
  return text;
}

/** The variables whose empty value (`VAR= npm start`) parses as unset. */
function emptyMeansUnset(): Name[] {
  return configVariableNames.filter((name) => {
    const parsed = (environmentSchema.shape[name] as z.ZodType).safeParse('');
    return parsed.success && parsed.data === undefined;
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

function table(rows: { name: string; default: string; meaning: string }[]): string {
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...rows.map((row) => `| \`${row.name}\` | ${cell(row.default)} | ${cell(row.meaning)} |`),
  ].join('\n');
}

function markdown(): string {
  const grouped = new Set(GROUPS.flatMap((group) => group.names));
  const others = configVariableNames.filter((name) => !grouped.has(name));
  const sections = [...GROUPS, ...(others.length > 0 ? [{ title: 'Other', names: others }] : [])].map(
    (group: { title: string; intro?: string; names: Name[] }) =>
      [
        `## ${group.title}`,
        ...(group.intro ? [group.intro] : []),
        table(group.names.map((name) => ({ name, default: shownDefault(name), meaning: description(name) }))),
      ].join('\n\n'),
  );
  const emptyUnset = emptyMeansUnset()
    .map((name) => `\`${name}\``)
    .join(', ');
  return [
    '# Configuration',
    '<!-- Generated by `npm run docs:config` (dev/docs-config.ts) from config/environment.ts and infra/provisioning-variables.ts: edit those, not this file. -->',
    `Every service process (\`npm start\`, \`npm run api\`, \`npm run worker\`) reads its settings from the environment once, at start-up, and validates them with zod (\`config/\`): a bad value stops the process with a message naming the variable. A deployment that sets a variable the service does not read has a typo: \`test/unit/deploy/compose.test.ts\` fails on one in \`docker-compose.yml\`. An empty value counts as unset for ${emptyUnset}.`,
    ...sections,
    [
      '## Provisioning',
      'Read by `npm run provision` (also run by `npm start` and before the tests) and by `npm start` for its files, in `infra/`; see [operations](operations.md) for what provisioning installs and how long it takes.',
      table([...provisioningVariables]),
    ].join('\n\n'),
    [
      '## Read by the other commands',
      [
        '- The CLI (`npx toolsmith`) and `npm run eval`: `TOOLSMITH_API_URL` (default `http://localhost:8000/api/v1`) and `TOOLSMITH_API_KEY`; with `TOOLSMITH_DEBUG` set the CLI prints the stack trace of an unexpected error. See [operations](operations.md) and [evaluation](evaluation.md).',
        '- `npm run scripted-model`: `SCRIPTED_MODEL_PORT` (default `8089`).',
        '- `npm run bench`, `npm run chaos`, `npm run fuzz`: `BENCH_SECTIONS`, `CHAOS_KILLS`, `CHAOS_POWER_CUTS`, `FUZZ_MAX_EXAMPLES` and others, with the figures they produce in [performance](performance.md).',
      ].join('\n'),
    ].join('\n\n'),
  ].join('\n\n');
}

/** docs/configuration.md as it should be now, formatted as `prettier --check` wants it. */
export async function renderConfigurationDoc(): Promise<string> {
  const options = (await prettier.resolveConfig(CONFIGURATION_DOC)) ?? {};
  return prettier.format(markdown(), { ...options, filepath: CONFIGURATION_DOC });
}

async function main(): Promise<void> {
  const rendered = await renderConfigurationDoc();
  const relative = path.relative(process.cwd(), CONFIGURATION_DOC);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(CONFIGURATION_DOC, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== rendered) {
      console.error(`${relative} is stale: run \`npm run docs:config\``);
      process.exitCode = 1;
      return;
    }
    console.log(`${relative} is up to date`);
    return;
  }
  writeFileSync(CONFIGURATION_DOC, rendered);
  console.log(`wrote ${relative}`);
}

if (require.main === module) void main();
