import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EvaluationReport } from '../../cli/eval/report';
import { loadSuite } from '../../cli/eval/suite';
import { catalogueScript, standardCatalogue, withTestsInPlan, type CannedTool } from '../../dev/canned-tools';
import { runJobRequest } from '../../dev/jobs';
import { assertErrorResponse } from '../helpers/assertions';
import { postJson, request } from '../../dev/http';
import { TOKENS_PER_CALL, type ModelCall } from '../../dev/scripted-model';
import { useTestStack } from '../../dev/stack';
import { starterSuiteCatalogue } from '../../dev/starter-catalogue';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const EVAL_CLI = path.join(ROOT, 'cli', 'eval', 'main.ts');
/** the scripted model's usage of every call */
const { prompt_tokens: PROMPT_TOKENS_PER_CALL, completion_tokens: COMPLETION_TOKENS_PER_CALL } = TOKENS_PER_CALL;
const PRICES = { in: 2, out: 10 };

const roundingCode = `def round_number(value: float, digits: int = 0) -> dict:
    """Round the value to that many decimal places."""
    return {"rounded": round(value, digits)}
`;

/** What models often put in their schemas: a key a MongoDB-protocol server refuses to store as it is. */
const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** Its first input schema forgets `digits`, which the client's example uses: the repair adds it. */
const roundingTool: CannedTool = {
  matches: /round a number/i,
  plan: {
    functionName: 'round_number',
    summary: 'Round a number to a number of decimal places.',
    parameters: [
      { name: 'value', type: 'float', description: 'the number' },
      { name: 'digits', type: 'int', description: 'decimal places' },
    ],
    returns: { type: 'dict', description: '{"rounded": float}' },
    dependencies: [],
    docQueries: [],
  },
  implementations: [{ value: { type: 'number' } }, { value: { type: 'number' }, digits: { type: 'integer' } }].map(
    (properties) => ({
      code: roundingCode,
      inputSchemaJson: JSON.stringify({
        $schema: DRAFT_07,
        type: 'object',
        properties,
        required: ['value'],
        additionalProperties: false,
      }),
      outputSchemaJson: JSON.stringify({ type: 'object', properties: { rounded: { type: 'number' } } }),
      testCases: [{ inputJson: '{"value": 3.7}', expectedOutputJson: '{"rounded": 4}', tolerance: 0 }],
    }),
  ),
};

const roundingExample = { input: { value: 3.14159, digits: 2 }, output: { rounded: 3.14 }, tolerance: 1e-9 };

/** The user prompts of the model calls made for one requirement (recognised by its description). */
function promptsFor(calls: ModelCall[], schemaName: string, description: RegExp): string[] {
  return calls
    .filter((call) => call.schemaName === schemaName)
    .map((call) => call.messages.find((message) => message.role === 'user')!.content)
    .filter((prompt) => description.test(prompt));
}

async function scrape(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('generation quality: acceptance examples, the evaluation harness, cost per tool', function () {
  this.timeout(300_000);
  const stack = useTestStack(
    catalogueScript([...starterSuiteCatalogue, withTestsInPlan(roundingTool), ...standardCatalogue]),
  );
  let folder: string;
  let report: EvaluationReport;
  let table: string;
  /** every model call of the evaluation run, in the order the scripted model got them */
  let evalCalls: ModelCall[];
  const task = (id: string) => report.tasks.find((entry) => entry.id === id)!;

  before(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-eval-'));
    // Starter tasks the scripted model answers in each way there is: right after a repair, right
    // first time with matrices, wrong on held-out values, never meeting an example; and a
    // predicate that raises.
    const starter = await loadSuite(path.join(ROOT, 'eval'));
    const chosen = ['chem-ring-info', 'num-solve-linear', 'num-statistics', 'py-luhn', 'py-anagram-groups'];
    const tasks = starter.tasks
      .filter((entry) => chosen.includes(entry.id))
      .map((entry) =>
        entry.id === 'py-anagram-groups'
          ? {
              ...entry,
              heldOut: [...entry.heldOut, { input: { words: ['a'] }, predicate: "output['groups'][5] == 1" }],
            }
          : entry,
      );
    const suiteFile = path.join(folder, 'suite.json');
    await writeFile(suiteFile, JSON.stringify({ tasks }));
    const callsBefore = stack().model.calls.length;
    const { stdout } = await promisify(execFile)(TSX, [
      EVAL_CLI,
      suiteFile,
      ...['--api', stack().apiUrl, '--key', stack().apiKey, '--concurrency', '5'],
      ...['--python', stack().tools.toolRuntime.pythonPath],
      ...['--price-in', String(PRICES.in), '--price-out', String(PRICES.out)],
      ...['--json', path.join(folder, 'run.json'), '--markdown', path.join(folder, 'run.md')],
    ]);
    table = stdout;
    evalCalls = stack().model.calls.slice(callsBefore);
    report = JSON.parse(await readFile(path.join(folder, 'run.json'), 'utf8'));
  });
  after(() => rm(folder, { recursive: true, force: true }));

  describe('npm run eval', () => {
    it('counts a task whose tool passes every held-out call as a success', () => {
      for (const id of ['chem-ring-info', 'num-solve-linear']) {
        assert.equal(task(id).success, true, JSON.stringify(task(id)));
        assert.equal(task(id).heldOutPassed, task(id).heldOutTotal);
        assert.equal(task(id).error, null);
      }
      assert.deepEqual(
        [task('chem-ring-info').repairRounds, task('chem-ring-info').modelCalls],
        [1, 3],
        'plan, implementation, repair',
      );
    });

    it('counts a task whose tool gets a held-out value wrong as a failure, and says which value', () => {
      const statistics = task('num-statistics');
      assert.deepEqual([statistics.made, statistics.success, statistics.heldOutPassed], [true, false, 0]);
      assert.match(
        statistics.error!,
        /^3 of 3 held-out calls failed; first, input \{"values":\[1,2,3,4\]\}: expected .*"std":1\.118033988749895.* \(within 1e-9\), got .*"std":1\.2909944487358056/,
      );
    });

    it('reports a tool that was never made, and why', () => {
      const luhn = task('py-luhn');
      assert.deepEqual([luhn.made, luhn.success, luhn.heldOutPassed, luhn.heldOutTotal], [false, false, 0, 5]);
      assert.match(luhn.error!, /^VALIDATION_FAILED: .*after 4 attempts.*acceptance example 2/);
      assert.deepEqual([luhn.repairRounds, luhn.modelCalls], [3, 5]);
    });

    it('counts a held-out predicate that raises as a failed call, and goes on', () => {
      const anagrams = task('py-anagram-groups');
      assert.deepEqual(
        [anagrams.made, anagrams.success, anagrams.heldOutPassed, anagrams.heldOutTotal],
        [true, false, 3, 4],
      );
      assert.match(
        anagrams.error!,
        /1 of 4 held-out calls failed; .*the predicate raised IndexError: list index out of range/,
      );
    });

    it('adds the totals up exactly: every model call of the run, its tokens, its cost', () => {
      const calls = evalCalls.length;
      assert.equal(calls, 3 + 2 + 2 + 5 + 2);
      const prompt = calls * PROMPT_TOKENS_PER_CALL;
      const completion = calls * COMPLETION_TOKENS_PER_CALL;
      const cost = (prompt * PRICES.in + completion * PRICES.out) / 1e6;
      assert.deepEqual(report.totals, {
        tasks: 5,
        made: 4,
        successes: 2,
        successRate: 2 / 5,
        heldOutPassed: 4 + 3 + 0 + 0 + 3,
        heldOutTotal: 4 + 3 + 3 + 5 + 4,
        modelCalls: calls,
        promptTokens: prompt,
        completionTokens: completion,
        modelCallsPerTool: calls / 5,
        tokensPerTool: (prompt + completion) / 5,
        cost,
        costPerSuccess: cost / 2,
        wallMs: report.tasks.reduce((total, entry) => total + entry.wallMs, 0),
      });
      for (const entry of report.tasks) {
        assert.equal(entry.promptTokens, entry.modelCalls * PROMPT_TOKENS_PER_CALL, entry.id);
        assert.equal(entry.completionTokens, entry.modelCalls * COMPLETION_TOKENS_PER_CALL, entry.id);
        assert.ok(entry.wallMs > 0, entry.id);
      }
    });

    it('prints the table, and writes the run as Markdown and as JSON for --compare', async () => {
      const rows = table.split('\n');
      assert.ok(
        rows.some((row) => /^task\s+result\s+held-out\s+calls/.test(row)),
        table,
      );
      assert.ok(
        rows.some((row) => /^chem-ring-info\s+success\s+4\/4\s+3\s+300\s+150\s/.test(row)),
        table,
      );
      assert.ok(
        rows.some((row) => /^py-luhn\s+not made\s+0\/5\s+5\s/.test(row)),
        table,
      );
      assert.ok(table.includes('Tasks 5: 4 tools made, 2 successful (every held-out call passed): success rate 40.0%'));
      assert.match(await readFile(path.join(folder, 'run.md'), 'utf8'), /^\| num-statistics \| wrong \| 0\/3 \|/m);
      // task by task, the JSON holds the figures the table printed, not just fields of those names
      const count = (value: number) => value.toLocaleString('en-US');
      for (const entry of report.tasks) {
        const verdict = entry.success ? 'success' : entry.made ? 'wrong' : 'not made';
        const cells = [
          entry.id,
          verdict,
          `${entry.heldOutPassed}/${entry.heldOutTotal}`,
          count(entry.modelCalls),
          count(entry.promptTokens),
          count(entry.completionTokens),
          '\\S+', // the cost
          `${(entry.wallMs / 1000).toFixed(1)} s`,
        ];
        const row = new RegExp(`^${cells.join('\\s+')}\\s`);
        assert.ok(
          rows.some((line) => row.test(line)),
          `${entry.id}: ${JSON.stringify(entry)} is not the table's row:\n${table}`,
        );
        assert.equal(entry.error === null, entry.success, `${entry.id}: an error exactly when it did not succeed`);
      }
      const { stdout } = await promisify(execFile)(TSX, [
        EVAL_CLI,
        '--compare',
        path.join(folder, 'run.json'),
        path.join(folder, 'run.json'),
      ]);
      assert.match(stdout, /^num-statistics\s+fail 0\/3\s+fail 0\/3\s+2\s+2\s+300\s+300\s*$/m);
      assert.match(stdout, /^successes\s+2\/5\s+2\/5$/m);
    });
  });

  describe('acceptance examples', () => {
    it('are shown to the planner and the implementer, and the job and the tool say which tests were the client’s', async () => {
      const [plan] = promptsFor(evalCalls, 'tool_plan', /Count the rings/);
      assert.match(
        plan!,
        /Acceptance examples \(the client’s own tests.*\n.*\n1\. input \{"smiles":"c1ccccc1"\} → output \{"rings":1,"aromatic_rings":1\} \(exactly\)\n2\. input \{"smiles":"C1CCCCC1"\}/,
      );
      assert.match(promptsFor(evalCalls, 'tool_implementation', /Count the rings/)[0]!, /Acceptance examples/);

      const job = (await request(`${stack().apiUrl}/jobs/${task('chem-ring-info').jobId}`)).body;
      const clientTests = [
        {
          input: { smiles: 'c1ccccc1' },
          expectedOutput: { rings: 1, aromatic_rings: 1 },
          tolerance: 0,
          source: 'client',
        },
        {
          input: { smiles: 'C1CCCCC1' },
          expectedOutput: { rings: 1, aromatic_rings: 0 },
          tolerance: 0,
          source: 'client',
        },
      ];
      const modelTest = {
        input: { smiles: 'c1ccc2ccccc2c1' },
        expectedOutput: { rings: 2, aromatic_rings: 2 },
        tolerance: 0,
      };
      assert.deepEqual(job.toolFiles[0].testCases, [...clientTests, modelTest]);
      const tool = (await request(`${stack().apiUrl}/tools/${job.toolFiles[0].toolId}`)).body;
      assert.deepEqual(tool.testCases, [...clientTests, modelTest]);
    });

    it('that the first implementation fails send it back for a repair, saying the example is right', () => {
      const [, repair] = promptsFor(evalCalls, 'tool_implementation', /Count the rings/);
      assert.match(
        repair!,
        /- acceptance example 2 \(input \{"smiles":"C1CCCCC1"\}\): value mismatch: expected \{"rings":1,"aromatic_rings":0\}, got \{"rings":1,"aromatic_rings":1\} \(the client's expected output\)/,
      );
      assert.match(repair!, /The acceptance examples are never the wrong part/);
    });

    it('that can never be met end the tool as failed, with the example named', async () => {
      const job = (await request(`${stack().apiUrl}/jobs/${task('py-luhn').jobId}`)).body;
      assert.equal(job.status, 'completed');
      assert.equal(job.failures[0].code, 'VALIDATION_FAILED');
      assert.match(
        job.failures[0].error,
        /\(2\/3 tests passed, crashed\): acceptance example 2 \(input \{"number":"4539 3195 0343 6467"\}\): raised ValueError/,
      );
      const { tools } = (await request(`${stack().apiUrl}/tools?jobId=${job.jobId}`)).body;
      assert.deepEqual(
        tools.map((tool: any) => tool.status),
        ['failed'],
      );
      const stored = (await request(`${stack().apiUrl}/tools/${tools[0].toolId}`)).body;
      assert.match(stored.errors[0], /acceptance example 2/);
      assert.equal(stored.repairRounds, 3);
    });

    it('whose input the planned input schema refuses are reported to the model as such, and repaired', async () => {
      const callsBefore = stack().model.calls.length;
      const job = await runJobRequest(stack(), {
        toolRequirements: [
          {
            description: 'Round a number to a number of decimal places.',
            input: 'value (number) and digits (integer)',
            output: '{"rounded": number}',
            examples: [roundingExample],
          },
        ],
        options: { reuse: false },
      });
      assert.equal(job.status, 'completed', JSON.stringify(job));
      const calls = stack().model.calls.slice(callsBefore);
      const [, repair] = promptsFor(calls, 'tool_implementation', /Round a number/);
      assert.match(
        repair!,
        /acceptance example 1 \(input \{"value":3\.14159,"digits":2\}\)\n {2}schema: the client's input does not fit your input schema \(input\.digits is not a property the schema allows\): the schema must accept it/,
      );
      assert.deepEqual(job.toolFiles[0].testCases[0], {
        input: roundingExample.input,
        expectedOutput: roundingExample.output,
        tolerance: roundingExample.tolerance,
        source: 'client',
      });
      const tool = (await request(`${stack().apiUrl}/tools/${job.toolFiles[0].toolId}`)).body;
      assert.equal(tool.inputSchema.$schema, DRAFT_07, 'stored and read back as the model wrote it');
    });

    it('that are malformed are refused with the field named, and no job starts', async () => {
      const requirement = { description: 'Round a number.', input: 'value', output: 'rounded' };
      const malformed: [unknown, string][] = [
        [{ input: [3.7], output: { rounded: 4 } }, 'toolRequirements.0.examples.0.input'],
        [{ input: { value: 3.7 } }, 'toolRequirements.0.examples.0.output'],
        [{ input: { value: 3.7 }, output: 4, tolerance: -1 }, 'toolRequirements.0.examples.0.tolerance'],
        [{ input: { value: 3.7 }, output: 4, expected: 4 }, 'toolRequirements.0.examples.0'],
      ];
      for (const [example, field] of malformed) {
        const answer = await postJson(`${stack().apiUrl}/jobs`, {
          toolRequirements: [{ ...requirement, examples: [example] }],
        });
        assertErrorResponse(answer, 400, 'INVALID_REQUEST', field);
      }
      assert.equal(stack().model.calls.length, 0);
    });

    it('with matrices (arrays in arrays) are stored and answered as given', async () => {
      const job = (await request(`${stack().apiUrl}/jobs/${task('num-solve-linear').jobId}`)).body;
      const example = {
        input: {
          a: [
            [2, 0],
            [0, 4],
          ],
          b: [2, 8],
        },
        expectedOutput: { x: [1, 2] },
        tolerance: 1e-9,
        source: 'client',
      };
      assert.deepEqual(job.toolFiles[0].testCases[0], example);
      const tool = (await request(`${stack().apiUrl}/tools/${job.toolFiles[0].toolId}`)).body;
      const session = (await request(`${stack().apiUrl}/sessions/${tool.sessionId}`)).body;
      assert.deepEqual(session.toolRequirements[0].examples, [
        { input: example.input, output: example.expectedOutput, tolerance: 1e-9 },
      ]);
    });
  });

  describe('cost accounting', () => {
    it("puts the job's model calls and tokens in its summary, and each tool's in its record", async () => {
      const job = (await request(`${stack().apiUrl}/jobs/${task('chem-ring-info').jobId}`)).body;
      const usage = { modelCalls: 3, promptTokens: 300, completionTokens: 150 };
      assert.deepEqual(job.summary, {
        totalRequested: 1,
        successful: 1,
        failed: 0,
        totalTokens: 450,
        reused: 0,
        ...usage,
      });
      assert.deepEqual(job.toolFiles[0].modelUsage, { ...usage, models: ['scripted-model'] });
      const tool = (await request(`${stack().apiUrl}/tools/${job.toolFiles[0].toolId}`)).body;
      assert.deepEqual([tool.modelUsage, tool.repairRounds], [{ ...usage, models: ['scripted-model'] }, 1]);

      const failed = (await request(`${stack().apiUrl}/jobs/${task('py-luhn').jobId}`)).body;
      assert.deepEqual(
        [failed.summary.modelCalls, failed.summary.promptTokens, failed.summary.completionTokens],
        [5, 500, 250],
      );
    });

    it("counts in the worker's metrics every model call, and what each tool and each job cost", async () => {
      const url = stack().workerMetricsUrl!;
      // Made so far in this suite: the five evaluation jobs and the rounding job (plan, implement, repair).
      assert.equal(await scrape(url, 'toolsmith_llm_calls_total{step="plan",outcome="usable"}'), 6);
      assert.equal(await scrape(url, 'toolsmith_llm_calls_total{step="repair",outcome="usable"}'), 1 + 3 + 1);
      assert.equal(await scrape(url, 'toolsmith_tool_model_calls_count{status="registered"}'), 5);
      assert.equal(await scrape(url, 'toolsmith_tool_model_calls_sum{status="registered"}'), 3 + 2 + 2 + 2 + 3);
      assert.equal(await scrape(url, 'toolsmith_tool_model_calls_count{status="failed"}'), 1);
      assert.equal(await scrape(url, 'toolsmith_tool_model_tokens_sum{status="failed",kind="prompt"}'), 500);
      assert.equal(await scrape(url, 'toolsmith_job_model_calls_count{status="completed"}'), 6);
      assert.equal(await scrape(url, 'toolsmith_job_model_calls_sum{status="completed"}'), 14 + 3);
    });
  });
});
