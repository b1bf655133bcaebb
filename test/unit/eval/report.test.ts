import assert from 'node:assert/strict';
import {
  buildReport,
  parseSavedRun,
  renderComparison,
  renderJson,
  renderMarkdown,
  renderTable,
} from '../../../cli/eval/report';
import type { TaskResult } from '../../../cli/eval/run';

function result(id: string, fields: Partial<TaskResult>): TaskResult {
  return {
    id,
    made: true,
    success: true,
    jobId: `job_${id}`,
    toolId: null,
    heldOutPassed: 3,
    heldOutTotal: 3,
    modelCalls: 2,
    promptTokens: 1_000,
    completionTokens: 500,
    wallMs: 4_000,
    repairRounds: 0,
    error: null,
    heldOut: [],
    ...fields,
  };
}

const results = [
  result('right', {}),
  result('wrong', {
    success: false,
    heldOutPassed: 1,
    modelCalls: 4,
    promptTokens: 3_000,
    completionTokens: 1_500,
    repairRounds: 1,
    error: '2 of 3 held-out calls failed; first, input {"x":1}: expected 2, got 3',
  }),
  result('unmade', {
    made: false,
    success: false,
    heldOutPassed: 0,
    heldOutTotal: 4,
    modelCalls: 5,
    promptTokens: 6_000,
    completionTokens: 2_000,
    repairRounds: 3,
    error: 'VALIDATION_FAILED: acceptance example 1 (input {"x":1}): value mismatch | a pipe',
  }),
];
const run = { suite: 'eval/', api: 'http://localhost:8000/api/v1', startedAt: '2026-01-01T00:00:00.000Z' };

describe('the evaluation report', () => {
  it('adds the totals up exactly, and prices the run per million tokens', () => {
    const report = buildReport({ ...run, prices: { inputPerMillion: 2, outputPerMillion: 10 } }, results);
    assert.deepEqual(report.totals, {
      tasks: 3,
      made: 2,
      successes: 1,
      successRate: 1 / 3,
      heldOutPassed: 4,
      heldOutTotal: 10,
      modelCalls: 11,
      promptTokens: 10_000,
      completionTokens: 4_000,
      modelCallsPerTool: 11 / 3,
      tokensPerTool: 14_000 / 3,
      cost: 0.06,
      costPerSuccess: 0.06,
      wallMs: 12_000,
    });
    assert.deepEqual(
      report.tasks.map((task) => task.cost),
      [0.007, 0.021, 0.032],
    );
  });

  it('has no cost without prices, and no cost per success without a success', () => {
    assert.equal(buildReport({ ...run, prices: null }, results).totals.costPerSuccess, null);
    const failures = results.slice(1);
    const priced = buildReport({ ...run, prices: { inputPerMillion: 1, outputPerMillion: 1 } }, failures);
    assert.equal(priced.totals.successRate, 0);
    assert.equal(priced.totals.costPerSuccess, null);
  });

  it('prints a table with a row per task and the totals, and the same as Markdown with the errors in full', () => {
    const report = buildReport({ ...run, prices: { inputPerMillion: 2, outputPerMillion: 10 } }, results);
    const table = renderTable(report, 40).split('\n');
    assert.match(
      table[0]!,
      /^task\s+result\s+held-out\s+calls\s+prompt tok\s+compl\. tok\s+cost\s+wall\s+repairs\s+why$/,
    );
    assert.match(table[2]!, /^right\s+success\s+3\/3\s+2\s+1,000\s+500\s+\$0\.0070\s+4\.0 s\s+0$/);
    assert.match(
      table[3]!,
      /^wrong\s+wrong\s+1\/3\s+4\s+3,000\s+1,500\s+\$0\.0210\s+4\.0 s\s+1\s+2 of 3 held-out calls failed; first, in…$/,
    );
    assert.match(table[4]!, /^unmade\s+not made\s+0\/4\s+5 /);
    assert.ok(table.includes('Tasks 3: 2 tools made, 1 successful (every held-out call passed): success rate 33.3%'));
    assert.ok(table.includes('Held-out calls passed: 4/10'));
    assert.ok(table.some((line) => line.startsWith('Per tool (mean over all 3 tasks): 3.7 model calls, 4,667 tokens')));
    assert.ok(table.some((line) => line.startsWith('Cost: $0.0600 in all, $0.0600 per successful tool')));

    const markdown = renderMarkdown(report);
    assert.match(markdown, /^\| task \| result \| held-out \|/m);
    assert.ok(markdown.includes('value mismatch \\| a pipe |'), 'a cell keeps its pipes escaped and its error whole');
  });

  it('writes JSON with the fields --compare reads, and shows two runs side by side', () => {
    const before = buildReport({ ...run, prices: null }, results);
    const after = buildReport({ ...run, prices: null }, [
      result('right', { success: false, heldOutPassed: 2, error: 'broke' }),
      result('wrong', { modelCalls: 2 }),
      result('new', {}),
    ]);
    // read back as --compare reads it, the saved run holds the report's own figures, not just their names
    const saved = parseSavedRun(renderJson(before), 'a.json');
    const { tasks, successes, successRate, modelCallsPerTool, tokensPerTool, costPerSuccess } = before.totals;
    assert.deepEqual(saved.totals, { tasks, successes, successRate, modelCallsPerTool, tokensPerTool, costPerSuccess });
    assert.deepEqual(
      saved.tasks,
      before.tasks.map(
        ({ id, success, heldOutPassed, heldOutTotal, modelCalls, promptTokens, completionTokens, wallMs, error }) => ({
          id,
          success,
          heldOutPassed,
          heldOutTotal,
          modelCalls,
          promptTokens,
          completionTokens,
          wallMs,
          error,
        }),
      ),
    );
    const comparison = renderComparison(
      parseSavedRun(renderJson(before), 'a.json'),
      parseSavedRun(renderJson(after), 'b.json'),
      ['a.json', 'b.json'],
    ).split('\n');
    assert.match(comparison[0]!, /^task\s+A: a\.json\s+B: b\.json\s+calls A\s+calls B\s+tokens A\s+tokens B\s+change$/);
    assert.match(comparison[2]!, /^right\s+pass 3\/3\s+fail 2\/3\s+2\s+2\s+1,500\s+1,500\s+broke$/);
    assert.match(comparison[3]!, /^wrong\s+fail 1\/3\s+pass 3\/3\s+4\s+2\s+4,500\s+1,500\s+fixed$/);
    assert.match(comparison[5]!, /^new\s+\(absent\)\s+pass 3\/3\s+–\s+2/);
    assert.ok(comparison.some((line) => /^successes\s+1\/3\s+2\/3$/.test(line)));
    assert.throws(() => parseSavedRun('{"tasks": []}', 'x.json'), /x\.json is not an evaluation run \(--json\)/);
  });
});
