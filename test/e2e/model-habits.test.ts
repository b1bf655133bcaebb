import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import {
  catalogueScript,
  fencedCodeTool,
  habitsCatalogue,
  molecularMassWithWrongTest,
  molecularWeightPlan,
  molecularWeightRequirementWithErrorExample,
  weighMoleculeRequirement,
  wrongTestCorrection,
} from '../../dev/canned-tools';
import { postJson, request } from '../../dev/http';
import { requirement, runJobRequest } from '../../dev/jobs';
import { habits, TOKENS_PER_CALL, type ModelCall, type ModelReply, type ModelScript } from '../../dev/scripted-model';
import { startTestStack, type TestStack } from '../../dev/stack';
import { PLACEHOLDER_API_KEY } from '../../llm/gateway';
import { assertErrorResponse } from '../helpers/assertions';

/**
 * Issue 18's habits of real endpoints, each at the level of a job on the real stack (Temporal,
 * FerretDB, the sandbox, the API), against the scripted model: what the job answer says, which
 * calls the endpoint got and what they carried. The gateway's own loop is covered call by call in
 * test/llm/; `npx toolsmith doctor`'s exit codes (0 usable, non-zero with the reason) against the
 * scripted model in test/llm/doctor.test.ts, which runs the real CLI.
 */

/** The service's model settings: no key (the endpoint needs none), a model per stage, the provider fields. */
const PLAN_MODEL = 'planner-model';
const IMPLEMENT_MODEL = 'implementer-model';
const EXTRA_BODY = { provider: { require_parameters: true }, top_k: 50 };
const MAX_OUTPUT_TOKENS = 4096;
const MAX_CALLS_PER_TOOL = 7;
/**
 * What `options.model` may name. Each test whose endpoint teaches the worker a structured-output mode
 * (a refused json_schema, a reply in prose) asks a model of its own: what is learnt is kept per
 * endpoint and model for the life of the worker, and must not change the other tests' calls.
 */
const MODELS = {
  job: 'job-model',
  deepSeek: 'deepseek-chat',
  ignoresFormat: 'claude-compat',
  prose: 'prose-model',
  unserved: 'ghost-model',
  budget: 'budget-model',
};
const ALLOWED_MODELS = Object.values(MODELS);

const catalogue = catalogueScript(habitsCatalogue);
const MOLECULAR_WEIGHT = 'Calculate the molecular weight of a compound from SMILES.';
const AVERAGE_MASS = 'Calculate the average molecular mass of a compound from SMILES.';

/** The `n`-th call of a schema (from 0) gets `reply(call, n)`; where that is undefined, the catalogue answers. */
function onSchema(
  schemaName: 'tool_plan' | 'tool_implementation',
  reply: (call: ModelCall, n: number) => ModelReply | undefined,
): ModelScript {
  let seen = 0;
  return (call) => (call.schemaName === schemaName ? (reply(call, seen++) ?? catalogue(call)) : catalogue(call));
}

/** The catalogue's answer to the call, as the JSON it would send. */
function cannedJson(call: ModelCall): unknown {
  const reply = catalogue(call);
  assert.ok('json' in reply, `the catalogue has no answer for ${JSON.stringify(call.messages.at(-1))}`);
  return reply.json;
}

const systemOf = (call: ModelCall) => call.messages.find((message) => message.role === 'system')!.content;
const userOf = (call: ModelCall) => call.messages.find((message) => message.role === 'user')!.content;
/** the output-token limit the call sent, under whichever name */
const tokenLimitOf = (call: ModelCall) => call.maxCompletionTokens ?? call.maxTokens;

interface RegistryState {
  tools: Map<string, { status: string; updatedAt: number }>;
  files: Set<string>;
}

describe('real endpoints’ habits, job by job on the real stack (issue 18)', function () {
  this.timeout(300_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({
      script: catalogue,
      env: {
        OPENAI_API_KEY: '',
        OPENAI_MODEL: 'scripted-model',
        OPENAI_PLAN_MODEL: PLAN_MODEL,
        OPENAI_IMPLEMENT_MODEL: IMPLEMENT_MODEL,
        LLM_ALLOWED_MODELS: ALLOWED_MODELS.join(','),
        LLM_EXTRA_BODY: JSON.stringify(EXTRA_BODY),
        LLM_MAX_OUTPUT_TOKENS: String(MAX_OUTPUT_TOKENS),
        LLM_MAX_CALLS_PER_TOOL: String(MAX_CALLS_PER_TOOL),
      },
    });
  });
  beforeEach(() => {
    stack.model.calls.length = 0;
    stack.model.setScript(catalogue);
    stack.model.setOptions({});
  });
  after(async () => stack?.stop());

  /** Runs a one-tool job (never reusing an earlier tool) and answers its final job answer. */
  function runTool(toolRequirement: object | string, model?: string): Promise<any> {
    return runJobRequest(stack, {
      toolRequirements: [typeof toolRequirement === 'string' ? requirement(toolRequirement) : toolRequirement],
      options: { reuse: false, ...(model === undefined ? {} : { model }) },
    });
  }

  /** The job completed with its one tool registered, and no failure. */
  function registeredTool(job: any): any {
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.deepEqual(job.failures, [], JSON.stringify(job.failures));
    assert.equal(job.toolFiles.length, 1);
    assert.equal(job.toolFiles[0].registered, true);
    return job.toolFiles[0];
  }

  /** The job completed with its one tool failed, and nothing registered. */
  function onlyFailure(job: any, code: string): any {
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.deepEqual(job.toolFiles, []);
    assert.equal(job.failures.length, 1);
    const [failure] = job.failures;
    assert.equal(failure.code, code, JSON.stringify(failure));
    return failure;
  }

  async function registryState(): Promise<RegistryState> {
    const tools = await stack.mongo.db.collection('tools').find({}).toArray();
    const files = (await readdir(stack.toolsDir, { recursive: true })).filter((file) => file.endsWith('.py'));
    return {
      tools: new Map(
        tools.map((tool) => [tool._id.toHexString(), { status: tool.status, updatedAt: tool.updated_at.getTime() }]),
      ),
      files: new Set(files),
    };
  }

  /**
   * A failed tool changes nothing of the registry but its `failed` record (when it got as far as a
   * draft): no other tool touched, no file written.
   */
  async function assertOnlyFailedRecord(before: RegistryState, jobId: string, failedRecord: boolean) {
    const after = await registryState();
    for (const [id, tool] of before.tools) assert.deepEqual(after.tools.get(id), tool, `tool ${id} changed`);
    const added = await stack.mongo.db.collection('tools').find({ job_id: jobId }).toArray();
    assert.deepEqual(
      added.map((tool) => tool.status),
      failedRecord ? ['failed'] : [],
    );
    assert.equal(after.tools.size, before.tools.size + added.length);
    assert.deepEqual([...after.files].sort(), [...before.files].sort(), 'no tool file written');
  }

  /** The session of the job as GET /sessions/{id} answers it. */
  async function sessionOf(jobId: string): Promise<any> {
    const session = await stack.mongo.db.collection('sessions').findOne({ job_id: jobId });
    const answer = await request(`${stack.apiUrl}/sessions/${session!._id.toHexString()}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  describe('models, provider fields and keys', () => {
    it('asks the plan model for the plan and the implement model for the code, with LLM_EXTRA_BODY, the token limit and no key of ours', async () => {
      const tool = registeredTool(await runTool(MOLECULAR_WEIGHT));
      const { calls } = stack.model;
      assert.deepEqual(
        calls.map((call) => [call.schemaName, call.model]),
        [
          ['tool_plan', PLAN_MODEL],
          ['tool_implementation', IMPLEMENT_MODEL],
        ],
      );
      for (const call of calls) {
        assert.deepEqual(call.extraBody, EXTRA_BODY);
        assert.equal(call.authorization, `Bearer ${PLACEHOLDER_API_KEY}`, 'OPENAI_API_KEY unset: a placeholder');
        assert.equal(call.maxCompletionTokens, MAX_OUTPUT_TOKENS);
        assert.equal(call.responseFormat?.type, 'json_schema');
        assert.equal(call.responseFormat?.json_schema?.strict, true);
      }
      assert.deepEqual(tool.modelUsage, {
        modelCalls: 2,
        promptTokens: 2 * TOKENS_PER_CALL.prompt_tokens,
        completionTokens: 2 * TOKENS_PER_CALL.completion_tokens,
        models: [PLAN_MODEL, IMPLEMENT_MODEL],
      });
    });

    it('the tests are written in the plan call, whose prompt holds no code; the code call gets them as written', async () => {
      const tool = registeredTool(await runTool(MOLECULAR_WEIGHT));
      const [plan, implement] = stack.model.calls;
      for (const message of plan!.messages) {
        assert.doesNotMatch(message.content, /\bdef \w+\(|\bimport \w+|```|Previous code/, 'no code in the plan call');
      }
      assert.match(systemOf(plan!), /The plan also holds the tool’s tests, written now, from the requirement alone/);
      const implementPrompt = userOf(implement!);
      assert.match(implementPrompt, /Tests \(written before the code\):\ntest 1\. input \{"smiles":"CCO"\} → output/);
      assert.deepEqual(
        tool.testCases.map((testCase: any) => testCase.input),
        molecularWeightPlan.testCases.map((test) => JSON.parse(test.inputJson)),
        'the tool is held to the tests of the plan',
      );
    });

    it('options.model reaches the endpoint for every call of the job, and modelUsage names it', async () => {
      const tool = registeredTool(await runTool(MOLECULAR_WEIGHT, MODELS.job));
      assert.deepEqual(
        stack.model.calls.map((call) => call.model),
        [MODELS.job, MODELS.job],
      );
      assert.deepEqual(tool.modelUsage.models, [MODELS.job]);
    });

    it('an options.model LLM_ALLOWED_MODELS does not list: 400 naming the allowed ones, and no job', async () => {
      const answer = await postJson(`${stack.apiUrl}/jobs`, {
        toolRequirements: [requirement(MOLECULAR_WEIGHT)],
        options: { model: 'gpt-4o' },
      });
      assertErrorResponse(answer, 400, 'INVALID_REQUEST', 'options.model');
      for (const model of ALLOWED_MODELS) assert.ok(answer.body.error.includes(model), answer.body.error);
      assert.equal(stack.model.calls.length, 0);
    });

    it('an options.model the endpoint does not serve (404): the job fails at once, saying which model and where it was set', async () => {
      stack.model.setOptions({ models: ALLOWED_MODELS.filter((model) => model !== MODELS.unserved) });
      const job = await runTool(MOLECULAR_WEIGHT, MODELS.unserved);
      assert.equal(job.status, 'failed', JSON.stringify(job));
      assert.equal(job.error.code, 'AI_SERVICE_ERROR');
      assert.match(job.error.message, /does not know model "ghost-model" \(HTTP 404, model not found\)/);
      assert.match(job.error.message, /the job's options\.model/);
      assert.equal(stack.model.calls.length, 1, 'not retried');
    });
  });

  describe('structured output the endpoint does not hold to', () => {
    it('an endpoint without json_schema (DeepSeek): the job completes in json_object mode, the refused call costing nothing', async () => {
      stack.model.setOptions({ refuseResponseFormats: ['json_schema'] });
      const job = await runTool(MOLECULAR_WEIGHT, MODELS.deepSeek);
      const tool = registeredTool(job);
      const { calls } = stack.model;
      assert.deepEqual(
        calls.map((call) => [call.schemaName, call.responseFormat?.type ?? null]),
        [
          ['tool_plan', 'json_schema'],
          ['tool_plan', 'json_object'],
          ['tool_implementation', 'json_object'],
        ],
      );
      for (const call of calls.slice(1)) assert.match(systemOf(call), /must match this JSON Schema:/);
      assert.equal(tool.modelUsage.modelCalls, 2, 'the refused request is not an answered call');
      assert.equal(job.summary.modelCalls, 2);
    });

    it('an endpoint that ignores response_format (its JSON in prose): the job completes with no extra call, then in prompt mode', async () => {
      stack.model.setOptions({ ignoreResponseFormat: true });
      registeredTool(await runTool(MOLECULAR_WEIGHT, MODELS.ignoresFormat));
      const { calls } = stack.model;
      assert.deepEqual(
        calls.map((call) => [call.schemaName, call.responseFormat?.type ?? null]),
        [
          ['tool_plan', 'json_schema'],
          ['tool_implementation', null],
        ],
      );
      assert.match(systemOf(calls[1]!), /It is the "tool_implementation" reply and must match this JSON Schema:/);
    });

    it('a reply in prose, or in a ```json fence, is usable as it is', async () => {
      stack.model.setScript((call) => {
        const json = cannedJson(call);
        return call.schemaName === 'tool_plan' ? { prose: json, fence: false } : { prose: json };
      });
      registeredTool(await runTool(MOLECULAR_WEIGHT, MODELS.prose));
      assert.deepEqual(
        stack.model.calls.map((call) => call.messages.length),
        [2, 2],
        'neither reply was asked again',
      );
    });

    it("Groq's json_validate_failed is an unusable reply: asked again with the problem, and the job completes", async () => {
      const generated = '{"functionName": "calculate_molecular_weight", "summary": ';
      stack.model.setScript(
        onSchema('tool_plan', (_call, n) => (n === 0 ? habits.groqJsonValidateFailed(generated) : undefined)),
      );
      registeredTool(await runTool(MOLECULAR_WEIGHT));
      const [, reAsked] = stack.model.calls;
      assert.equal(stack.model.calls.length, 3);
      assert.deepEqual(
        reAsked!.messages.map((message) => message.role),
        ['system', 'user', 'assistant', 'user'],
      );
      assert.equal(reAsked!.messages[2]!.content, generated);
      assert.match(reAsked!.messages[3]!.content, /That reply cannot be used: .*json_validate_failed/);
    });

    it('a fenced code field passes validation on the first attempt', async () => {
      const job = await runTool('Compute the molar mass of a compound from SMILES.');
      const tool = registeredTool(job);
      assert.equal(stack.model.calls.length, 2, 'no repair');
      assert.match((fencedCodeTool.implementations[0] as { code: string }).code, /^```python\n/);
      assert.doesNotMatch(tool.code, /```/);
      assert.match(tool.code, /^"""\nGenerated Tool/);
      const stored = await request(`${stack.apiUrl}/tools/${tool.toolId}`);
      assert.equal(stored.body.repairRounds, 0);
    });
  });

  describe('replies cut, refused or empty', () => {
    it('a reply cut at the token limit once costs exactly one more call, with twice the limit', async () => {
      stack.model.setScript(
        onSchema('tool_implementation', (call, n) => (n === 0 ? habits.cutAtTokenLimit(cannedJson(call)) : undefined)),
      );
      registeredTool(await runTool(MOLECULAR_WEIGHT));
      const { calls } = stack.model;
      assert.deepEqual(
        calls.map((call) => [call.schemaName, tokenLimitOf(call)]),
        [
          ['tool_plan', MAX_OUTPUT_TOKENS],
          ['tool_implementation', MAX_OUTPUT_TOKENS],
          ['tool_implementation', 2 * MAX_OUTPUT_TOKENS],
        ],
      );
      assert.deepEqual(calls[2]!.messages, calls[1]!.messages, 'the same question, not a correction');
    });

    it('a reply cut every time: MODEL_OUTPUT_TRUNCATED after two calls, within the budget, saying which setting to raise', async () => {
      stack.model.setScript(onSchema('tool_plan', (call) => habits.cutAtTokenLimit(cannedJson(call))));
      const before = await registryState();
      const job = await runTool(MOLECULAR_WEIGHT);
      const failure = onlyFailure(job, 'MODEL_OUTPUT_TRUNCATED');
      assert.match(
        failure.error,
        /cut at 8192 tokens \(finish_reason "length"\), even when asked again: raise LLM_MAX_OUTPUT_TOKENS/,
      );
      const { calls } = stack.model;
      assert.equal(calls.length, 2);
      assert.ok(calls.length <= MAX_CALLS_PER_TOOL);
      const cut = habits.cutAtTokenLimit(cannedJson(calls[1]!)) as { content: string };
      assert.equal(failure.lastReply, cut.content, 'the cut reply, as the job answer keeps it');
      assert.ok(failure.lastReply.length > 0 && failure.lastReply.length <= 2048);
      const session = await sessionOf(job.jobId);
      assert.equal(session.failures[0].lastReply, failure.lastReply, 'and the session');
      await assertOnlyFailedRecord(before, job.jobId, false);
    });

    it('a refusal on the repair: MODEL_REFUSED after that one call, the failed draft its only record', async () => {
      const refusal = "I'm sorry, but I can't help with that.";
      stack.model.setScript(onSchema('tool_implementation', (_call, n) => (n === 1 ? { refusal } : undefined)));
      const before = await registryState();
      const job = await runTool(AVERAGE_MASS);
      const failure = onlyFailure(job, 'MODEL_REFUSED');
      assert.match(failure.error, /refused the tool_implementation request: I'm sorry/);
      assert.match(failure.error, /rephrase the requirement, or ask another model/);
      assert.equal(failure.lastReply, refusal);
      assert.deepEqual(
        stack.model.calls.map((call) => call.schemaName),
        ['tool_plan', 'tool_implementation', 'tool_implementation'],
        'the refused repair is not asked again',
      );
      await assertOnlyFailedRecord(before, job.jobId, true);
      const [stored] = await stack.mongo.db.collection('tools').find({ job_id: job.jobId }).toArray();
      assert.match(stored!.code, /ExactMolWt/, 'the failed record keeps the last draft');
      assert.equal((await sessionOf(job.jobId)).failures[0].lastReply, refusal);
    });

    it('reasoning with no content, once: asked once more for the JSON itself, and the job completes', async () => {
      stack.model.setScript(
        onSchema('tool_plan', (_call, n) => (n === 0 ? { reasoning: 'The user wants RDKit; MolWt…' } : undefined)),
      );
      registeredTool(await runTool(MOLECULAR_WEIGHT));
      assert.equal(stack.model.calls.length, 3);
      assert.match(systemOf(stack.model.calls[1]!), /Put the JSON object itself in the reply/);
    });

    it('reasoning with no content, twice: MODEL_EMPTY_REPLY, with the reasoning as the last reply', async () => {
      const reasoning = 'The user wants the molecular weight; RDKit has Descriptors.MolWt, so the plan is…';
      stack.model.setScript(onSchema('tool_plan', () => ({ reasoning })));
      const before = await registryState();
      const job = await runTool(MOLECULAR_WEIGHT);
      const failure = onlyFailure(job, 'MODEL_EMPTY_REPLY');
      assert.match(failure.error, /reasoning but no content, twice.*LLM_MAX_OUTPUT_TOKENS, or another model/);
      assert.equal(failure.lastReply, reasoning);
      assert.equal(stack.model.calls.length, 2);
      await assertOnlyFailedRecord(before, job.jobId, false);
    });

    it('replies never usable: MODEL_CALL_BUDGET_EXCEEDED at LLM_MAX_CALLS_PER_TOOL calls, retries included, not one more', async () => {
      stack.model.setScript(() => ({ content: 'A function that weighs molecules would use RDKit.' }));
      const before = await registryState();
      const job = await runTool(MOLECULAR_WEIGHT, MODELS.budget);
      const failure = onlyFailure(job, 'MODEL_CALL_BUDGET_EXCEEDED');
      assert.match(failure.error, /made its 7 model calls in this run.*raise LLM_MAX_CALLS_PER_TOOL/);
      assert.equal(stack.model.calls.length, MAX_CALLS_PER_TOOL);
      await assertOnlyFailedRecord(before, job.jobId, false);
    });
  });

  describe('tests that expect exceptions, repairs that say what failed', () => {
    it('the seed’s "invalid SMILES → error" is a passing test, the client’s and the planner’s, and the tool raises it when called', async () => {
      const tool = registeredTool(await runTool(molecularWeightRequirementWithErrorExample));
      assert.equal(stack.model.calls.length, 2, 'passed on the first attempt');
      const raising = tool.testCases.filter((testCase: any) => testCase.raises !== undefined);
      assert.deepEqual(raising, [
        { input: { smiles: 'not-a-molecule' }, raises: 'ValueError', match: 'Invalid SMILES', source: 'client' },
        { input: { smiles: 'C1CC' }, raises: 'ValueError', match: 'Invalid SMILES' },
      ]);
      const called = await postJson(`${stack.apiUrl}/tools/${tool.toolId}/execute`, {
        input: { smiles: 'not-a-molecule' },
      });
      assert.equal(called.status, 200);
      assert.equal(called.body.success, false);
      assert.equal(called.body.error, 'ValueError: Invalid SMILES string: not-a-molecule');
    });

    it('a repair prompt holds the failing test’s expected behaviour and what happened instead', async () => {
      registeredTool(await runTool(weighMoleculeRequirement));
      const [, , repair] = stack.model.calls;
      const prompt = userOf(repair!);
      assert.match(prompt, /Attempt 1 failed validation/);
      assert.match(prompt, /Validation: 2\/3 tests passed\./);
      // the failing test, its input, what it expected, and what the code did instead
      assert.match(
        prompt,
        /- acceptance example 2 \(input \{"smiles":"not-a-molecule"\}\): expected it to raise ValueError with a message containing "Invalid SMILES", but it returned \{"molecular_weight":0\} \(the client's expected exception\)/,
      );
    });

    it('a repair corrects a wrong planned test with its reason; toolFiles[].testCorrections records it', async () => {
      const tool = registeredTool(await runTool('Give the molecular mass of a compound from SMILES.'));
      const [, , repair] = stack.model.calls;
      assert.equal(stack.model.calls.length, 3);
      assert.match(
        userOf(repair!),
        /- test 1 \(input \{"smiles":"CCO"\}\): value mismatch: expected \{"molecular_weight":46\.042\}, got \{"molecular_weight":46\.06\d*\}/,
      );
      assert.match(systemOf(repair!), /testCorrections lists each of the tests that is itself wrong/);
      assert.equal(molecularMassWithWrongTest.implementations.length, 2);
      assert.deepEqual(tool.testCorrections, [
        {
          test: 'test 1',
          attempt: 2,
          before: { expectedOutput: { molecular_weight: 46.042 } },
          after: { expectedOutput: { molecular_weight: 46.069 } },
          reason: wrongTestCorrection.reason,
        },
      ]);
    });
  });

  // Last (mocha runs a suite's own tests before its inner suites'): what this teaches the worker,
  // max_tokens, holds for the whole endpoint, every model.
  describe('an endpoint that wants max_tokens', () => {
    it('an endpoint that wants max_tokens: the refused call is made again with it, and so is every later one', async () => {
      stack.model.setOptions({ refuseMaxCompletionTokens: true });
      registeredTool(await runTool(MOLECULAR_WEIGHT));
      assert.deepEqual(
        stack.model.calls.map((call) => [call.maxCompletionTokens, call.maxTokens]),
        [
          [MAX_OUTPUT_TOKENS, null],
          [null, MAX_OUTPUT_TOKENS],
          [null, MAX_OUTPUT_TOKENS],
        ],
      );
    });
  });
});
