import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { habits, type ModelReply } from '../../dev/scripted-model';
import { isModelAllowed, loadConfig } from '../../config';
import {
  createLlmGateway,
  maxGatewayCallMs,
  modelFor,
  PLACEHOLDER_API_KEY,
  type LlmCallContext,
} from '../../llm/gateway';
import { MAX_HTTP_CALLS_PER_REQUEST } from '../../llm/limits';
import { answerRequest, assertFails, gatewaysUnderTest, goodAnswer, toolContext } from './helpers';

describe('gateway settings: models, keys, extra body, timeouts, 404s, the call budget', function () {
  this.timeout(30_000);
  const start = gatewaysUnderTest();

  const answers = (): ModelReply => ({ json: goodAnswer });

  describe('which model is asked', () => {
    const settings = { model: 'default-model', planModel: 'plan-model', implementModel: 'implement-model' };

    it("the request's model, then the stage's, then OPENAI_MODEL", () => {
      const asked = (step: string, model?: string) => modelFor(settings, { context: toolContext(step), model });
      assert.equal(asked('plan', 'job-model'), 'job-model');
      assert.equal(asked('plan'), 'plan-model');
      assert.equal(asked('implement'), 'implement-model');
      assert.equal(asked('repair'), 'implement-model');
      assert.equal(asked('tests'), 'default-model');
      assert.equal(modelFor({ model: 'default-model' }, { context: toolContext('plan') }), 'default-model');
    });

    it('is the one sent, recorded on each call and returned', async () => {
      const under = await start(answers, { settings });
      const gateway = under.gateway;
      const replies = [
        await gateway.completeStructured(answerRequest({ context: toolContext('plan') })),
        await gateway.completeStructured(answerRequest({ context: toolContext('repair') })),
        await gateway.completeStructured(answerRequest({ context: toolContext('implement'), model: 'job-model' })),
      ];
      const expected = ['plan-model', 'implement-model', 'job-model'];
      assert.deepEqual(
        under.model.calls.map((call) => call.model),
        expected,
      );
      assert.deepEqual(
        under.records.map((record) => record.model),
        expected,
      );
      assert.deepEqual(
        replies.map((reply) => reply.model),
        expected,
      );
    });

    it('LLM_ALLOWED_MODELS: unset allows any model, set allows only those it lists', () => {
      const unset = loadConfig({}).llm;
      assert.equal(unset.allowedModels, undefined);
      assert.equal(isModelAllowed(unset, 'anything'), true);
      const listed = loadConfig({ LLM_ALLOWED_MODELS: ' gpt-5-mini, deepseek-chat ,' }).llm;
      assert.deepEqual(listed.allowedModels, ['gpt-5-mini', 'deepseek-chat']);
      assert.equal(isModelAllowed(listed, 'deepseek-chat'), true);
      assert.equal(isModelAllowed(listed, 'gpt-5'), false);
      assert.equal(loadConfig({ LLM_ALLOWED_MODELS: '' }).llm.allowedModels, undefined);
    });
  });

  it('LLM_EXTRA_BODY reaches the endpoint, beside the fields the gateway sets', async () => {
    const extraBody = loadConfig({ LLM_EXTRA_BODY: '{"options": {"num_ctx": 32768}, "provider": {"sort": "price"}}' })
      .llm.extraBody;
    const under = await start(answers, { settings: { extraBody } });
    await under.gateway.completeStructured(answerRequest());
    assert.deepEqual(under.model.calls[0]!.extraBody, { options: { num_ctx: 32768 }, provider: { sort: 'price' } });
    assert.equal(under.model.calls[0]!.model, 'test-model');
  });

  it('LLM_EXTRA_BODY is checked at start-up: a JSON object, not setting what the gateway sets', () => {
    for (const [value, problem] of [
      ['{"options":', /LLM_EXTRA_BODY: must be a JSON object: /],
      ['[1, 2]', /LLM_EXTRA_BODY: must be a JSON object, e\.g\./],
      ['{"model": "x", "max_tokens": 5}', /LLM_EXTRA_BODY: must not set model, max_tokens: the gateway sets them/],
    ] as const) {
      assert.throws(() => loadConfig({ LLM_EXTRA_BODY: value }), problem);
    }
    assert.equal(loadConfig({ LLM_EXTRA_BODY: '' }).llm.extraBody, undefined);
  });

  it('the other settings have their defaults', () => {
    const llm = loadConfig({}).llm;
    assert.deepEqual(
      [llm.structuredOutput, llm.maxOutputTokens, llm.maxCallsPerTool, llm.planModel, llm.implementModel],
      ['auto', 16_384, 24, undefined, undefined],
    );
    assert.throws(() => loadConfig({ LLM_STRUCTURED_OUTPUT: 'xml' }), /LLM_STRUCTURED_OUTPUT: must be one of auto/);
  });

  it('no key with a base URL works (a placeholder is sent); with neither, a clear non-retryable error and no call', async () => {
    const under = await start(answers, { settings: { apiKey: undefined } });
    await under.gateway.completeStructured(answerRequest());
    assert.equal(under.model.calls[0]!.authorization, `Bearer ${PLACEHOLDER_API_KEY}`);

    const nowhere = createLlmGateway({ model: 'm', requestTimeoutMs: 1000 }, async () => undefined);
    await assertFails(nowhere.completeStructured(answerRequest()), {
      code: 'AI_SERVICE_ERROR',
      retryable: false,
      message: /OPENAI_API_KEY is not set/,
    });
  });

  it('a timeout says how long the model had, and which setting that is; retryable', async () => {
    const under = await start(() => ({ json: goodAnswer, delayMs: 2_000 }), {
      settings: { requestTimeoutMs: 300 },
    });
    await assertFails(under.gateway.completeStructured(answerRequest()), {
      code: 'AI_SERVICE_ERROR',
      retryable: true,
      message: /^The model did not answer within 0\.3 s \(LLM_REQUEST_TIMEOUT_MS\)/,
    });
    assert.equal(under.records[0]!.error?.startsWith('The model did not answer'), true);
  });

  it('an endpoint that is not there says so, retryably', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const gateway = createLlmGateway(
      { baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', requestTimeoutMs: 5_000 },
      async () => undefined,
    );
    await assertFails(gateway.completeStructured(answerRequest()), {
      code: 'AI_SERVICE_ERROR',
      retryable: true,
      message: /^Could not reach the model endpoint http:\/\/127\.0\.0\.1:\d+\/v1: .*ECONNREFUSED/,
    });
  });

  it('a 401 names the key; a 404 says which: no endpoints, model not found, or an unknown path', async () => {
    const cases: [ModelReply, RegExp][] = [
      [
        { status: 401, error: 'Incorrect API key provided.' },
        /rejected the credentials \(HTTP 401\): check OPENAI_API_KEY/,
      ],
      [
        habits.openRouterNoEndpoints('test-model'),
        /No provider behind .* serves model "test-model" \(HTTP 404, no endpoints\)/,
      ],
      [
        habits.modelNotFound('test-model'),
        /does not know model "test-model" \(HTTP 404, model not found\): check OPENAI_MODEL/,
      ],
      [
        { status: 404, error: '404 page not found' },
        /no chat-completions route at .*\/v1\/chat\/completions \(HTTP 404, unknown path\): check OPENAI_BASE_URL/,
      ],
    ];
    for (const [reply, message] of cases) {
      const under = await start(() => reply);
      await assertFails(under.gateway.completeStructured(answerRequest()), {
        code: 'AI_SERVICE_ERROR',
        retryable: false,
        message: message,
      });
      assert.equal(under.model.calls.length, 1, 'not retried by the gateway');
    }
  });

  describe('the call budget (LLM_MAX_CALLS_PER_TOOL), through an in-memory reserveCall', () => {
    const counter = () => {
      const counts = new Map<string, number>();
      const reserveCall = async (context: LlmCallContext) => {
        const key = `${context.jobId}:${context.runId}:${context.requirementIndex}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return counts.get(key)!;
      };
      return { counts, reserveCall };
    };

    it('counts every HTTP call, re-asks and fallbacks included, and makes none past the budget', async () => {
      const { counts, reserveCall } = counter();
      const under = await start(() => ({ content: 'no JSON here' }), {
        server: { refuseResponseFormats: ['json_schema'] },
        settings: { reserveCall, maxCallsPerTool: 3 },
      });
      await assertFails(under.gateway.completeStructured(answerRequest()), {
        code: 'MODEL_CALL_BUDGET_EXCEEDED',
        retryable: false,
        message: /made its 3 model calls .*LLM_MAX_CALLS_PER_TOOL/,
      });
      assert.equal(under.model.calls.length, 3, 'a refused json_schema, then two unusable replies');
      assert.equal(counts.get('job_llm_test:run-1:0'), 4, 'the fourth was reserved and refused');

      // a retry of the activity (the same tool, the same run) is over budget at once
      await assertFails(under.gateway.completeStructured(answerRequest()), {
        code: 'MODEL_CALL_BUDGET_EXCEEDED',
        retryable: false,
        message: /made its 3 model calls/,
      });
      assert.equal(under.model.calls.length, 3);
    });

    it("is per tool and per run; a call that is no tool's (the probe) is not counted", async () => {
      const { counts, reserveCall } = counter();
      const under = await start(answers, { settings: { reserveCall, maxCallsPerTool: 1 } });
      await under.gateway.completeStructured(answerRequest());
      await under.gateway.completeStructured(answerRequest({ context: { ...toolContext(), requirementIndex: 1 } }));
      await under.gateway.completeStructured(answerRequest({ context: { ...toolContext(), runId: 'run-2' } }));
      await under.gateway.completeStructured(answerRequest({ context: toolContext('plan', null) }));
      assert.equal(under.model.calls.length, 4);
      assert.deepEqual([...counts.values()], [1, 1, 1]);
    });
  });

  it('the longest one gateway call can take: every HTTP call it may make at the full timeout, plus a margin', () => {
    assert.equal(MAX_HTTP_CALLS_PER_REQUEST, 8);
    assert.equal(maxGatewayCallMs(120_000), 8 * 120_000 + 30_000);
  });
});
