/**
 * What a tool costs in model calls and tokens: the starter evaluation suite (eval/) through the
 * evaluation harness (cli/eval/), as `npm run eval -- eval/` runs it, against the bench's stack and
 * the scripted model that knows the suite (`npm run scripted-model`'s answers), once per kind of
 * endpoint: one with strict json_schema, one without it (DeepSeek), one that ignores
 * response_format (its JSON in prose).
 */
import { Writable } from 'node:stream';
import path from 'node:path';
import { evaluateSuite } from '../cli/eval/main';
import type { Totals } from '../cli/eval/report';
import type { ScriptedModelOptions } from '../dev/scripted-model';
import { startTestStack } from '../dev/stack';
import { scriptedModelAnswers } from '../dev/starter-catalogue';

const SUITE = path.join(__dirname, '..', 'eval');
const CONCURRENCY = 4;
const TASK_TIMEOUT_S = 600;
const PREDICATE_TIMEOUT_S = 10;

/** What one run of the suite cost, in all. */
export interface SuiteCost {
  label: string;
  tasks: number;
  made: number;
  successes: number;
  /** calls the model answered, as the jobs' summaries count them */
  modelCalls: number;
  promptTokens: number;
  completionTokens: number;
  /** every request the endpoint got, refused ones included (null: not measured) */
  requests: number | null;
}

/**
 * The figure before issue 18 (tests written with the plan, structured output that adapts to the
 * endpoint, …): `npm run eval -- eval/` against `npm run scripted-model` on commit 6e2179e, the
 * one before it, as docs/evaluation.md showed it then: 17 tasks, 16 tools made, 14 successful;
 * 3,800 prompt and 1,900 completion tokens (38 calls of the scripted model's 150 tokens):
 * 2.2 model calls and 335 tokens per tool.
 */
export const BEFORE_ISSUE_18: SuiteCost = {
  label: 'before issue 18 (commit 6e2179e, `npm run eval -- eval/`)',
  tasks: 17,
  made: 16,
  successes: 14,
  modelCalls: 38,
  promptTokens: 3_800,
  completionTokens: 1_900,
  requests: null,
};

/** The endpoints the suite runs against, each on a stack of its own (the worker learns an endpoint's habits). */
const ALL_ENDPOINTS: { name: string; label: string; options: ScriptedModelOptions }[] = [
  { name: 'json_schema', label: 'now, strict json_schema', options: {} },
  {
    name: 'json_object',
    label: 'now, endpoint without json_schema (DeepSeek)',
    options: { refuseResponseFormats: ['json_schema'] },
  },
  { name: 'prose', label: 'now, endpoint ignoring response_format', options: { ignoreResponseFormat: true } },
];

/** BENCH_MODEL_ENDPOINTS picks them by name (json_schema,json_object,prose: all by default); the first one is compared with the figure before. */
export const ENDPOINTS = (process.env.BENCH_MODEL_ENDPOINTS ?? ALL_ENDPOINTS.map((endpoint) => endpoint.name).join(','))
  .split(',')
  .map((name) => {
    const endpoint = ALL_ENDPOINTS.find((known) => known.name === name.trim());
    if (!endpoint)
      throw new Error(
        `BENCH_MODEL_ENDPOINTS: no endpoint "${name}" (${ALL_ENDPOINTS.map((known) => known.name).join(', ')})`,
      );
    return endpoint;
  });

const discard = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/** The suite once, through the harness, against a stack whose scripted model has these habits. */
export async function measureSuiteCost(label: string, options: ScriptedModelOptions): Promise<SuiteCost> {
  const stack = await startTestStack({
    script: scriptedModelAnswers(),
    // the provider's pace is not what is measured
    env: { LLM_MAX_CALLS_PER_SECOND: '10000' },
  });
  try {
    stack.model.setOptions(options);
    const report = await evaluateSuite(
      SUITE,
      {
        api: stack.apiUrl,
        key: stack.apiKey,
        concurrency: CONCURRENCY,
        taskTimeout: TASK_TIMEOUT_S,
        python: stack.tools.toolRuntime.pythonPath,
        predicateTimeout: PREDICATE_TIMEOUT_S,
      },
      discard(),
      discard(),
    );
    const totals: Totals = report.totals;
    return {
      label,
      tasks: totals.tasks,
      made: totals.made,
      successes: totals.successes,
      modelCalls: totals.modelCalls,
      promptTokens: totals.promptTokens,
      completionTokens: totals.completionTokens,
      requests: stack.model.calls.length,
    };
  } finally {
    await stack.stop();
  }
}

const perTool = (total: number, cost: SuiteCost) => total / cost.tasks;
const oneDecimal = (value: number) => value.toFixed(1);
const whole = (value: number) => value.toFixed(0);

/** One row of the table: per tool, as the harness counts it (a mean over every task, made or not). */
export function costRow(cost: SuiteCost): string {
  const cells = [
    cost.label,
    String(cost.tasks),
    String(cost.made),
    String(cost.successes),
    oneDecimal(perTool(cost.modelCalls, cost)),
    cost.requests === null ? '–' : oneDecimal(perTool(cost.requests, cost)),
    whole(perTool(cost.promptTokens, cost)),
    whole(perTool(cost.completionTokens, cost)),
    whole(perTool(cost.promptTokens + cost.completionTokens, cost)),
  ];
  return `| ${cells.join(' | ')} |`;
}

export const COST_TABLE_HEADING = [
  '| starter suite, scripted model | tasks | tools made | successful | model calls per tool | requests per tool | prompt tokens per tool | completion tokens per tool | tokens per tool |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];

/** "now / before": the two figures per tool, divided. */
export function costRatio(now: SuiteCost, before: SuiteCost): string {
  const calls = perTool(now.modelCalls, now) / perTool(before.modelCalls, before);
  const tokens =
    perTool(now.promptTokens + now.completionTokens, now) /
    perTool(before.promptTokens + before.completionTokens, before);
  return `now / before, per tool: model calls ${calls.toFixed(2)}×, tokens ${tokens.toFixed(2)}×`;
}
