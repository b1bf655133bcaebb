import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { checkModelOption, createJobService, jobSettings } from '../../../api/jobs/job-service';
import type { TemporalJobs } from '../../../api/jobs/temporal-jobs';
import type { JobInput } from '../../../workflows/definitions';
import { toFailureView, toToolFile } from '../../../api/jobs/job-views';
import { requestFingerprint } from '../../../api/jobs/request-fingerprint';
import {
  jobResponseSchema,
  MAX_MODEL_NAME_CHARS,
  ServiceError,
  toolGenerationRequestSchema,
  type ToolGenerationRequest,
} from '../../../contract';
import { maxGatewayCallMs } from '../../../llm/limits';
import type { ToolDocument } from '../../../store/documents';

const requirement = { description: 'Convert a temperature.', input: 'a value and units', output: 'the value' };

function request(options?: object): ToolGenerationRequest {
  return toolGenerationRequestSchema.parse({ toolRequirements: [requirement], ...(options ? { options } : {}) });
}

function fieldProblems(body: unknown): string[] {
  const parsed = toolGenerationRequestSchema.safeParse(body);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
}

describe('unit: a job’s options.model, its LLM timeout, and what its answer shows of failures and corrections', () => {
  it('takes options.model as a non-empty name of bounded length, beside reuse, and no unknown field', () => {
    assert.equal(request({ model: 'gpt-4.1-mini', reuse: false }).options?.model, 'gpt-4.1-mini');
    assert.deepEqual(fieldProblems({ toolRequirements: [requirement], options: { model: '' } }), [
      'options.model must not be empty',
    ]);
    assert.deepEqual(fieldProblems({ toolRequirements: [requirement], options: { model: 7 } }), [
      'options.model must be a string',
    ]);
    assert.deepEqual(
      fieldProblems({ toolRequirements: [requirement], options: { model: 'm'.repeat(MAX_MODEL_NAME_CHARS + 1) } }),
      [`options.model must be at most ${MAX_MODEL_NAME_CHARS} characters`],
    );
    assert.match(
      fieldProblems({ toolRequirements: [requirement], options: { models: 'x' } }).join(),
      /options has an unknown field "models" \(known: reuse, model\)/,
    );
  });

  it('refuses a model LLM_ALLOWED_MODELS does not list: 400 INVALID_REQUEST naming options.model and the allowed ones', () => {
    const llm = { requestTimeoutMs: 120_000, allowedModels: ['gpt-5-mini', 'gpt-4.1-mini'] };
    checkModelOption(request({ model: 'gpt-4.1-mini' }), llm);
    checkModelOption(request(), llm);
    checkModelOption(request({ model: 'anything' }), { requestTimeoutMs: 120_000 });
    checkModelOption(request({ model: 'anything' }));
    assert.throws(
      () => checkModelOption(request({ model: 'o3' }), llm),
      (error: unknown) => {
        assert.ok(error instanceof ServiceError);
        assert.equal(error.code, 'INVALID_REQUEST');
        assert.equal(error.conflict, false);
        assert.deepEqual(error.details, {
          fields: [{ field: 'options.model', message: 'must be one of the allowed models: gpt-5-mini, gpt-4.1-mini' }],
        });
        assert.match(error.message, /options\.model must be one of the allowed models: gpt-5-mini, gpt-4\.1-mini/);
        return true;
      },
    );
  });

  it('starts a job with its model and LLM timeout, and starts none with a model not allowed', async () => {
    const started: JobInput[] = [];
    const admitted: string[] = [];
    const jobs = createJobService({
      temporal: {
        start: async (input: JobInput) => {
          started.push(input);
          return { runId: 'run-1' };
        },
      } as unknown as TemporalJobs,
      stores: {} as never,
      links: { uiUrl: 'http://ui', namespace: 'default' },
      generation: { maxRepairRounds: 3, toolDeadlineMs: 1_800_000 },
      admission: { admit: async (_tenant, jobId) => void admitted.push(jobId), release: async () => undefined },
      llm: { requestTimeoutMs: 60_000, allowedModels: ['gpt-4.1-mini'] },
    });
    await assert.rejects(jobs.submitJob('tenant-a', request({ model: 'o3' })), /options\.model must be one of/);
    assert.deepEqual([started, admitted], [[], []], 'nothing admitted or started');

    const { created } = await jobs.submitJob('tenant-a', request({ model: 'gpt-4.1-mini' }));
    assert.equal(created, true);
    assert.deepEqual(started[0]!.options, { reuse: true, model: 'gpt-4.1-mini' });
    assert.deepEqual(started[0]!.settings, {
      maxRepairRounds: 3,
      toolDeadlineMs: 1_800_000,
      llmCallTimeoutMs: maxGatewayCallMs(60_000),
    });
    await jobs.submitJob('tenant-a', request());
    assert.deepEqual(started[1]!.options, { reuse: true }, 'no model named: none sent');
  });

  it('tells a request with another model from the same request under one Idempotency-Key', () => {
    assert.notEqual(requestFingerprint(request({ model: 'a' })), requestFingerprint(request({ model: 'b' })));
    assert.notEqual(requestFingerprint(request({ model: 'a' })), requestFingerprint(request()));
    assert.equal(
      requestFingerprint(request({ model: 'a', reuse: true })),
      requestFingerprint(request({ reuse: true, model: 'a' })),
    );
  });

  it('gives a job the LLM timeout of the gateway’s longest call, from LLM_REQUEST_TIMEOUT_MS', () => {
    const generation = { maxRepairRounds: 3, toolDeadlineMs: 1_800_000 };
    assert.deepEqual(jobSettings(generation, { requestTimeoutMs: 60_000 }), {
      ...generation,
      llmCallTimeoutMs: maxGatewayCallMs(60_000),
    });
    assert.ok(maxGatewayCallMs(60_000) > maxGatewayCallMs(30_000));
    assert.deepEqual(jobSettings(generation), generation, 'without LLM settings: the workflow’s own constant');
  });

  it('shows a failure’s last reply, from the run’s result and from the mirror alike', () => {
    const fromResult = toFailureView({
      requirementIndex: 0,
      toolRequirement: requirement,
      code: 'MODEL_OUTPUT_TRUNCATED',
      error: 'cut',
      lastReply: '{"code": "def f(',
    });
    const fromMirror = toFailureView({
      requirement_index: 0,
      tool_requirement: requirement,
      code: 'MODEL_OUTPUT_TRUNCATED',
      error: 'cut',
      last_reply: '{"code": "def f(',
    });
    const expected = {
      toolRequirement: requirement,
      error: 'cut',
      code: 'MODEL_OUTPUT_TRUNCATED',
      lastReply: '{"code": "def f(',
    };
    assert.deepEqual(fromResult, expected);
    assert.deepEqual(fromMirror, expected);
    assert.ok(
      !('lastReply' in toFailureView({ requirement_index: 0, tool_requirement: requirement, code: 'X', error: 'e' })),
    );
  });

  it('shows a tool’s corrected tests and the models its calls asked in the job’s tool files', () => {
    const tool = {
      _id: new ObjectId(),
      file_name: 'convert_temperature.py',
      file_path: 'tools/t/convert_temperature/v1/convert_temperature.py',
      description: 'Convert',
      code: 'def convert_temperature(): ...',
      status: 'registered',
      created_at: new Date('2026-01-01T00:00:00Z'),
      test_cases: [{ input: { v: 1 }, expected_output: { v: 1 }, tolerance: 0, source: 'model' }],
      model_usage: { calls: 3, prompt_tokens: 300, completion_tokens: 150, models: ['gpt-4.1-mini'] },
      test_corrections: [
        {
          test: 'test 1',
          attempt: 2,
          before: { expected_output: { v: 2 } },
          after: { raises: 'ValueError', match: 'unit' },
          reason: 'an unknown unit is an error',
        },
      ],
    } as unknown as ToolDocument;
    const file = toToolFile(tool);
    assert.deepEqual(file.modelUsage, {
      modelCalls: 3,
      promptTokens: 300,
      completionTokens: 150,
      models: ['gpt-4.1-mini'],
    });
    assert.deepEqual(file.testCorrections, [
      {
        test: 'test 1',
        attempt: 2,
        before: { expectedOutput: { v: 2 } },
        after: { raises: 'ValueError', match: 'unit' },
        reason: 'an unknown unit is an error',
      },
    ]);
    const answer = {
      jobId: 'job_x',
      status: 'completed',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      progress: { total: 1, completed: 1, failed: 0, inProgress: 0, currentTool: null },
      toolFiles: [file],
      failures: [{ toolRequirement: requirement, error: 'cut', code: 'MODEL_REFUSED', lastReply: 'I cannot help' }],
      temporal: { workflowId: 'job_x', runId: null, uiUrl: 'http://ui' },
    };
    const parsed = jobResponseSchema.safeParse(answer);
    assert.ok(parsed.success, parsed.error?.message);
    assert.ok(!('testCorrections' in toToolFile({ ...tool, test_corrections: undefined })));
  });
});
