import assert from 'node:assert/strict';
import { habits, type ModelCall, type ModelReply } from '../../dev/scripted-model';
import { LAST_REPLY_CHARS } from '../../llm/errors';
import { answerRequest, assertFails, gatewaysUnderTest, goodAnswer, systemOf, type GatewayUnderTest } from './helpers';

/** Answers from a list, one reply per call, the last one repeating. */
const inTurn =
  (...replies: ModelReply[]) =>
  (call: ModelCall): ModelReply =>
    replies[Math.min(call.index, replies.length - 1)]!;

describe('replies cut, refused, empty, or refused by the endpoint as invalid JSON', function () {
  this.timeout(30_000);
  const start = gatewaysUnderTest();

  it('a reply cut at the token limit costs exactly one more call, with twice the limit', async () => {
    const under = await start(inTurn(habits.cutAtTokenLimit(goodAnswer), { json: goodAnswer }), {
      settings: { maxOutputTokens: 1000 },
    });
    const reply = await under.gateway.completeStructured(answerRequest());
    assert.deepEqual(reply.value, goodAnswer);
    assert.deepEqual(
      under.model.calls.map((call) => call.maxCompletionTokens),
      [1000, 2000],
    );
    assert.equal(under.model.calls[1]!.messages.length, 2, 'the same question, not a correction');
    assert.equal(reply.totalTokens, 300, 'both calls were paid for');
    assert.equal(under.records[0]!.error, 'cut at 1000 tokens');
  });

  /** Replies retrying cannot mend: each fails the call, non-retryably, after this many calls. */
  const unmendable: {
    title: string;
    reply: ModelReply;
    calls: number;
    code: string;
    message: RegExp;
    lastReply: RegExp;
    also?: (under: GatewayUnderTest) => void;
  }[] = [
    {
      title: 'a reply cut every time: MODEL_OUTPUT_TRUNCATED after two calls, saying which setting raises the limit',
      reply: habits.cutAtTokenLimit(goodAnswer),
      calls: 2,
      code: 'MODEL_OUTPUT_TRUNCATED',
      message: /reply was cut at 2000 tokens .*raise LLM_MAX_OUTPUT_TOKENS/,
      lastReply: /^\{"answer":"forty/,
    },
    {
      title: 'a refusal: MODEL_REFUSED with the model’s words after one call, not re-asked',
      reply: { refusal: "I can't help with that." },
      calls: 1,
      code: 'MODEL_REFUSED',
      message: /refused the answer request: I can't help with that\./,
      lastReply: /^I can't help with that\.$/,
    },
    {
      title: 'reasoning without content: asked once more (with the schema), then MODEL_EMPTY_REPLY',
      reply: { reasoning: 'Six times seven is 42, so the answer is…' },
      calls: 2,
      code: 'MODEL_EMPTY_REPLY',
      message: /reasoning but no content, twice/,
      lastReply: /^Six times seven/,
      also: (under) => {
        const reAsked = systemOf(under.model.calls[1]!);
        assert.match(reAsked, /Put the JSON object itself in the reply/);
        assert.match(reAsked, /It is the "answer" reply/, 'the re-ask has the schema');
      },
    },
  ];
  for (const { title, reply, calls, code, message, lastReply, also } of unmendable) {
    it(title, async () => {
      const under = await start(() => reply, { settings: { maxOutputTokens: 1000 } });
      const error = await assertFails(under.gateway.completeStructured(answerRequest()), {
        code,
        retryable: false,
        message,
      });
      assert.match(error.details.lastReply, lastReply);
      assert.equal(under.model.calls.length, calls);
      also?.(under);
    });
  }

  it('reasoning without content, then an answer: the answer is used', async () => {
    const under = await start(inTurn({ reasoning: 'thinking…' }, { json: goodAnswer }));
    assert.deepEqual((await under.gateway.completeStructured(answerRequest())).value, goodAnswer);
    assert.equal(under.model.calls.length, 2);
  });

  it("Groq's json_validate_failed is an unusable reply: re-asked with the problem and what was generated", async () => {
    const under = await start(inTurn(habits.groqJsonValidateFailed('{"answer": 42'), { json: goodAnswer }));
    assert.deepEqual((await under.gateway.completeStructured(answerRequest())).value, goodAnswer);
    const reAsk = under.model.calls[1]!;
    assert.deepEqual(
      reAsk.messages.map((message) => message.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.equal(reAsk.messages[2]!.content, '{"answer": 42');
    assert.match(reAsk.messages[3]!.content, /json_validate_failed/);
    assert.match(systemOf(reAsk), /It is the "answer" reply/);
    assert.equal(under.records[0]!.response, '{"answer": 42', 'recorded with what the model generated');
  });

  it('json_validate_failed without failed_generation, every time: the usual unusable-reply failure, retryable', async () => {
    const under = await start(() => habits.groqJsonValidateFailed());
    await assertFails(under.gateway.completeStructured(answerRequest()), {
      code: 'AI_SERVICE_ERROR',
      retryable: true,
      message: /unusable 3 times in a row; last problem: .*json_validate_failed/,
    });
    assert.deepEqual(
      under.model.calls[1]!.messages.map((message) => message.role),
      ['system', 'user', 'user'],
      'no empty assistant message',
    );
  });

  it('unusable three times: a retryable AI_SERVICE_ERROR carrying the first 2 KB of the last reply', async () => {
    const long = `not JSON ${'x'.repeat(5000)}`;
    const under = await start(() => ({ content: long }));
    const error = await assertFails(under.gateway.completeStructured(answerRequest()), {
      code: 'AI_SERVICE_ERROR',
      retryable: true,
      message: /unusable 3 times in a row; last problem: the reply is not JSON/,
    });
    assert.equal(error.details.lastReply, long.slice(0, LAST_REPLY_CHARS));
    assert.equal(under.model.calls.length, 3);
  });

  it('an endpoint that refuses max_completion_tokens gets max_tokens, from then on', async () => {
    const under = await start(() => ({ json: goodAnswer }), {
      server: { refuseMaxCompletionTokens: true },
      settings: { maxOutputTokens: 4096 },
    });
    await under.gateway.completeStructured(answerRequest());
    await under.gateway.completeStructured(answerRequest());
    assert.deepEqual(
      under.model.calls.map((call) => [call.maxCompletionTokens, call.maxTokens]),
      [
        [4096, null],
        [null, 4096],
        [null, 4096],
      ],
    );
    assert.deepEqual(
      under.changes.map((change) => [change.habit, change.from, change.to]),
      [['token limit parameter', 'max_completion_tokens', 'max_tokens']],
    );
  });

  it('a larger limit the endpoint refuses after a cut reply is MODEL_OUTPUT_TRUNCATED too', async () => {
    const under = await start(
      (call): ModelReply =>
        (call.maxCompletionTokens ?? 0) > 1000
          ? { status: 400, error: 'max_completion_tokens must be at most 1000', param: 'max_completion_tokens' }
          : habits.cutAtTokenLimit(goodAnswer),
      { settings: { maxOutputTokens: 1000 } },
    );
    await assertFails(under.gateway.completeStructured(answerRequest()), {
      code: 'MODEL_OUTPUT_TRUNCATED',
      retryable: false,
      message: /cut at 1000 tokens.*A larger limit was refused/,
    });
  });
});
