import { z } from 'zod';
import type { TaskResult } from './run';

/** What a model costs, in the currency of the prices, per million tokens. */
export interface Prices {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface TaskReport extends TaskResult {
  /** null when no prices were given */
  cost: number | null;
}

export interface Totals {
  tasks: number;
  /** tasks whose tool was registered */
  made: number;
  /** tasks whose tool was registered and passed every held-out call */
  successes: number;
  successRate: number;
  heldOutPassed: number;
  heldOutTotal: number;
  modelCalls: number;
  promptTokens: number;
  completionTokens: number;
  /** mean over every task (each asks for one tool), made or not */
  modelCallsPerTool: number;
  tokensPerTool: number;
  /** everything the run spent, over the tools that succeeded; null without prices or successes */
  cost: number | null;
  costPerSuccess: number | null;
  wallMs: number;
}

export interface EvaluationReport {
  suite: string;
  api: string;
  startedAt: string;
  prices: Prices | null;
  tasks: TaskReport[];
  totals: Totals;
}

export function costOf(usage: Pick<TaskResult, 'promptTokens' | 'completionTokens'>, prices: Prices | null) {
  if (!prices) return null;
  return (usage.promptTokens * prices.inputPerMillion + usage.completionTokens * prices.outputPerMillion) / 1e6;
}

const sum = (
  tasks: TaskResult[],
  field: 'heldOutPassed' | 'heldOutTotal' | 'modelCalls' | 'promptTokens' | 'completionTokens' | 'wallMs',
) => tasks.reduce((total, task) => total + task[field], 0);

export function totalsOf(tasks: TaskResult[], prices: Prices | null): Totals {
  const count = tasks.length;
  const successes = tasks.filter((task) => task.success).length;
  const promptTokens = sum(tasks, 'promptTokens');
  const completionTokens = sum(tasks, 'completionTokens');
  const modelCalls = sum(tasks, 'modelCalls');
  const cost = costOf({ promptTokens, completionTokens }, prices);
  return {
    tasks: count,
    made: tasks.filter((task) => task.made).length,
    successes,
    successRate: count ? successes / count : 0,
    heldOutPassed: sum(tasks, 'heldOutPassed'),
    heldOutTotal: sum(tasks, 'heldOutTotal'),
    modelCalls,
    promptTokens,
    completionTokens,
    modelCallsPerTool: count ? modelCalls / count : 0,
    tokensPerTool: count ? (promptTokens + completionTokens) / count : 0,
    cost,
    costPerSuccess: cost === null || successes === 0 ? null : cost / successes,
    wallMs: sum(tasks, 'wallMs'),
  };
}

export function buildReport(
  run: Pick<EvaluationReport, 'suite' | 'api' | 'startedAt' | 'prices'>,
  results: TaskResult[],
): EvaluationReport {
  return {
    ...run,
    tasks: results.map((result) => ({ ...result, cost: costOf(result, run.prices) })),
    totals: totalsOf(results, run.prices),
  };
}

// ---------------------------------------------------------------------------------------------
// Text

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
/** Small amounts (a scripted or cheap model) keep two significant digits rather than rounding to nothing. */
function money(value: number | null): string {
  if (value === null) return '–';
  if (value === 0) return '$0';
  return `$${value < 0.01 ? value.toPrecision(2) : value.toFixed(4)}`;
}
const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const TABLE_HEADINGS = [
  'task',
  'result',
  'held-out',
  'calls',
  'prompt tok',
  'compl. tok',
  'cost',
  'wall',
  'repairs',
  'why',
];
/** columns aligned to the right: the numbers */
const RIGHT_ALIGNED = new Set([2, 3, 4, 5, 6, 7, 8]);

/** success: made, every held-out call passed; wrong: made, some call failed; not made: no tool registered. */
export function verdictOf(task: Pick<TaskResult, 'success' | 'made'>): 'success' | 'wrong' | 'not made' {
  if (task.success) return 'success';
  return task.made ? 'wrong' : 'not made';
}

function taskRow(task: TaskReport, errorWidth: number): string[] {
  return [
    task.id,
    verdictOf(task),
    `${task.heldOutPassed}/${task.heldOutTotal}`,
    integer.format(task.modelCalls),
    integer.format(task.promptTokens),
    integer.format(task.completionTokens),
    money(task.cost),
    seconds(task.wallMs),
    task.repairRounds === null ? '–' : String(task.repairRounds),
    task.error ? oneLine(task.error, errorWidth) : '',
  ];
}

function alignedTable(headings: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = headings.map((heading, column) =>
    Math.max(heading.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headings), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line)].join('\n');
}

function totalsLines(report: EvaluationReport): string[] {
  const { totals, prices } = report;
  return [
    `Tasks ${totals.tasks}: ${totals.made} tools made, ${totals.successes} successful (every held-out call passed): success rate ${percent(totals.successRate)}`,
    `Held-out calls passed: ${totals.heldOutPassed}/${totals.heldOutTotal}`,
    `Per tool (mean over all ${totals.tasks} tasks): ${decimal.format(totals.modelCallsPerTool)} model calls, ` +
      `${integer.format(totals.tokensPerTool)} tokens (${integer.format(totals.promptTokens)} prompt + ${integer.format(totals.completionTokens)} completion in all)`,
    prices
      ? `Cost: ${money(totals.cost)} in all, ${money(totals.costPerSuccess)} per successful tool ` +
        `(at ${prices.inputPerMillion} / ${prices.outputPerMillion} per million prompt / completion tokens)`
      : 'Cost: give --price-in and --price-out (per million tokens) to see it',
  ];
}

/** The run as a table for the terminal, with the totals under it. */
export function renderTable(report: EvaluationReport, errorWidth = 70): string {
  const rows = report.tasks.map((task) => taskRow(task, errorWidth));
  return [alignedTable(TABLE_HEADINGS, rows, RIGHT_ALIGNED), '', ...totalsLines(report)].join('\n');
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/** The same as Markdown, with every error in full. */
export function renderMarkdown(report: EvaluationReport): string {
  const rows = report.tasks.map((task) => taskRow(task, Number.MAX_SAFE_INTEGER).map(escapeCell));
  const header = `| ${TABLE_HEADINGS.join(' | ')} |`;
  const rule = `|${TABLE_HEADINGS.map((_, column) => (RIGHT_ALIGNED.has(column) ? ' ---: ' : ' --- ')).join('|')}|`;
  return [
    `# Evaluation of ${report.suite}`,
    '',
    `Against ${report.api}, started ${report.startedAt}.`,
    '',
    header,
    rule,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    ...totalsLines(report).map((line) => `- ${line}`),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Comparing two runs

/** What --compare needs of a --json file (older or hand-made files may carry more). */
const savedRunSchema = z.object({
  tasks: z.array(
    z.object({
      id: z.string(),
      success: z.boolean(),
      heldOutPassed: z.number(),
      heldOutTotal: z.number(),
      modelCalls: z.number(),
      promptTokens: z.number(),
      completionTokens: z.number(),
      wallMs: z.number(),
      error: z.string().nullable(),
    }),
  ),
  totals: z.object({
    tasks: z.number(),
    successes: z.number(),
    successRate: z.number(),
    modelCallsPerTool: z.number(),
    tokensPerTool: z.number(),
    costPerSuccess: z.number().nullable(),
  }),
});
export type SavedRun = z.infer<typeof savedRunSchema>;

/** A --json file, or what about it does not fit. */
export function parseSavedRun(text: string, file: string): SavedRun {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = savedRunSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not an evaluation run (--json): ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Two runs side by side, task by task (matched by id), then their totals. */
export function renderComparison(a: SavedRun, b: SavedRun, names: [string, string]): string {
  const byId = (run: SavedRun) => new Map(run.tasks.map((task) => [task.id, task]));
  const [first, second] = [byId(a), byId(b)];
  const ids = [...new Set([...first.keys(), ...second.keys()])];
  const verdict = (task: SavedRun['tasks'][number] | undefined) =>
    task ? `${task.success ? 'pass' : 'fail'} ${task.heldOutPassed}/${task.heldOutTotal}` : '(absent)';
  const calls = (task: SavedRun['tasks'][number] | undefined) => (task ? String(task.modelCalls) : '–');
  const tokens = (task: SavedRun['tasks'][number] | undefined) =>
    task ? integer.format(task.promptTokens + task.completionTokens) : '–';
  const rows = ids.map((id) => {
    const [x, y] = [first.get(id), second.get(id)];
    const change = x && y && x.success !== y.success ? (y.success ? 'fixed' : 'broke') : '';
    return [id, verdict(x), verdict(y), calls(x), calls(y), tokens(x), tokens(y), change];
  });
  const headings = ['task', `A: ${names[0]}`, `B: ${names[1]}`, 'calls A', 'calls B', 'tokens A', 'tokens B', 'change'];
  const totals: [string, string, string][] = [
    ['successes', `${a.totals.successes}/${a.totals.tasks}`, `${b.totals.successes}/${b.totals.tasks}`],
    ['success rate', percent(a.totals.successRate), percent(b.totals.successRate)],
    ['model calls per tool', decimal.format(a.totals.modelCallsPerTool), decimal.format(b.totals.modelCallsPerTool)],
    ['tokens per tool', integer.format(a.totals.tokensPerTool), integer.format(b.totals.tokensPerTool)],
    ['cost per successful tool', money(a.totals.costPerSuccess), money(b.totals.costPerSuccess)],
  ];
  return [
    alignedTable(headings, rows, new Set([3, 4, 5, 6])),
    '',
    alignedTable(['totals', 'A', 'B'], totals, new Set([1, 2])),
  ].join('\n');
}

/** The --json file: the report as it is (the task and total fields the issue names, and more). */
export function renderJson(report: EvaluationReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
