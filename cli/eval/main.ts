import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultDataDir } from '../../infra/cache';
import { CliError, DEFAULT_API_URL, ToolsmithApi } from '../api-client';
import { createPredicateChecker, DEFAULT_PREDICATE_TIMEOUT_MS, defaultPredicatePython } from './predicates';
import {
  buildReport,
  parseSavedRun,
  renderComparison,
  renderJson,
  renderMarkdown,
  renderTable,
  verdictOf,
  type EvaluationReport,
  type Prices,
} from './report';
import { runEvaluation, type TaskResult } from './run';
import { loadSuite } from './suite';

/**
 * `npm run eval -- <suite>`: generates every task's tool on a running service and scores it on
 * held-out calls the service never saw. `npm run eval -- --compare a.json b.json`: two runs side by side.
 */

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_TASK_TIMEOUT_S = 1_200;

export interface EvalCommandOptions {
  api: string;
  key?: string;
  priceIn?: number;
  priceOut?: number;
  markdown?: string;
  json?: string;
  concurrency: number;
  taskTimeout: number;
  python: string;
  predicateTimeout: number;
  reuse?: boolean;
  label?: string;
  compare?: string[];
}

function nonNegativeNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) {
    throw new InvalidArgumentError('must be a number, 0 or more');
  }
  return number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a whole number, 1 or more');
  return number;
}

/** The key given, else TOOLSMITH_API_KEY, else the one `npm start` keeps for its local client. */
async function apiKey(given: string | undefined): Promise<string | undefined> {
  if (given) return given;
  if (process.env.TOOLSMITH_API_KEY) return process.env.TOOLSMITH_API_KEY;
  const kept = await readFile(path.join(defaultDataDir(), 'dev-api-key'), 'utf8').catch(() => '');
  return kept.trim() || undefined;
}

function pricesOf(options: EvalCommandOptions): Prices | null {
  if (options.priceIn === undefined && options.priceOut === undefined) return null;
  return { inputPerMillion: options.priceIn ?? 0, outputPerMillion: options.priceOut ?? 0 };
}

function progressLine(result: TaskResult, done: number, total: number): string {
  const verdict = verdictOf(result);
  const figures = `${result.heldOutPassed}/${result.heldOutTotal} held-out, ${result.modelCalls} model calls, ${(result.wallMs / 1000).toFixed(1)} s`;
  return `[${done}/${total}] ${result.id}: ${verdict} (${figures})\n`;
}

async function compareRuns(files: string[], out: NodeJS.WritableStream): Promise<void> {
  if (files.length !== 2)
    throw new CliError('--compare takes exactly two --json files: a.json b.json', 'INVALID_ARGUMENTS');
  const [a, b] = await Promise.all(
    files.map(async (file) => {
      const text = await readFile(file, 'utf8').catch((error: Error) => {
        throw new CliError(`Cannot read ${file}: ${error.message}`, 'INVALID_FILE');
      });
      try {
        return parseSavedRun(text, file);
      } catch (error) {
        throw new CliError((error as Error).message, 'INVALID_FILE');
      }
    }),
  );
  out.write(`${renderComparison(a!, b!, [path.basename(files[0]!), path.basename(files[1]!)])}\n`);
}

/** Runs the suite; the report is printed, and written where asked. */
export async function evaluateSuite(
  suitePath: string,
  options: EvalCommandOptions,
  out: NodeJS.WritableStream = process.stdout,
  progress: NodeJS.WritableStream = process.stderr,
): Promise<EvaluationReport> {
  const suite = await loadSuite(suitePath); // every problem of the suite is refused here, before any job
  const api = new ToolsmithApi(options.api, await apiKey(options.key));
  await api.listTools({ limit: 1 }); // the service answers and takes the key, or we stop before submitting
  const predicates = createPredicateChecker(options.python, options.predicateTimeout * 1000);
  const startedAt = new Date().toISOString();
  progress.write(`Evaluating ${suite.tasks.length} tasks of ${suitePath} against ${api.baseUrl}\n`);
  try {
    const results = await runEvaluation({
      api,
      suite,
      predicates,
      concurrency: options.concurrency,
      taskTimeoutMs: options.taskTimeout * 1000,
      reuse: options.reuse,
      label: options.label,
      onTaskDone: (result, done, total) => progress.write(progressLine(result, done, total)),
    });
    const report = buildReport({ suite: suitePath, api: api.baseUrl, startedAt, prices: pricesOf(options) }, results);
    out.write(`\n${renderTable(report)}\n`);
    if (options.markdown) await writeFile(options.markdown, renderMarkdown(report));
    if (options.json) await writeFile(options.json, renderJson(report));
    return report;
  } finally {
    predicates.close();
  }
}

export function buildEvalProgram(): Command {
  return new Command('eval')
    .description(
      'Generate the tools of an evaluation suite on a running Toolsmith and score them on held-out calls the service never sees.',
    )
    .argument('[suite]', 'a suite file, or a folder of them (*.json), e.g. eval/')
    .addOption(
      new Option('--api <url>', 'base URL of the Toolsmith API').env('TOOLSMITH_API_URL').default(DEFAULT_API_URL),
    )
    .option('--key <key>', 'API key (default: TOOLSMITH_API_KEY, else the key npm start keeps in .data/dev-api-key)')
    .option('--price-in <n>', 'price per million prompt tokens (for the cost figures)', nonNegativeNumber)
    .option('--price-out <n>', 'price per million completion tokens', nonNegativeNumber)
    .option('--markdown <file>', 'also write the report as Markdown')
    .option('--json <file>', 'also write the report as JSON (what --compare reads)')
    .option(
      '--concurrency <n>',
      'jobs at once (within the service’s MAX_RUNNING_JOBS_PER_CLIENT)',
      positiveInteger,
      DEFAULT_CONCURRENCY,
    )
    .option(
      '--task-timeout <s>',
      'a job still running after this long is cancelled',
      positiveInteger,
      DEFAULT_TASK_TIMEOUT_S,
    )
    .option('--python <path>', 'the Python that runs the held-out predicates', defaultPredicatePython())
    .option(
      '--predicate-timeout <s>',
      'a predicate running longer fails its call',
      positiveInteger,
      DEFAULT_PREDICATE_TIMEOUT_MS / 1000,
    )
    .option('--reuse', 'let the service answer with an earlier registered tool (off: every tool is generated)')
    .option('--label <label>', "metadata.sessionId of the run's jobs")
    .option('--compare <runs...>', 'show two --json runs side by side instead: --compare a.json b.json')
    .showHelpAfterError('(add --help for usage)');
}

async function main(argv: string[]): Promise<void> {
  const program = buildEvalProgram();
  program.parse(argv);
  const options = program.opts<EvalCommandOptions>();
  const [suite] = program.processedArgs as [string | undefined];
  try {
    if (options.compare) await compareRuns(options.compare, process.stdout);
    else if (suite) await evaluateSuite(suite, options);
    else program.error('Name a suite (e.g. eval/), or --compare a.json b.json.');
  } catch (error) {
    const code = error instanceof CliError ? ` (${error.code})` : '';
    process.stderr.write(`Error: ${(error as Error).message}${code}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main(process.argv);
