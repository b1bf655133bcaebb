import assert from 'node:assert/strict';
import { habits, type ModelCall, type ModelReply } from '../../dev/scripted-model';
import { EndpointMemory } from '../../llm/endpoint-memory';
import { createLlmGateway } from '../../llm/gateway';
import { answerRequest, assertFails, gatewaysUnderTest, goodAnswer, systemOf } from './helpers';

/** A model that answers the "answer" schema, however it was asked for (response_format or the prompt). */
const answers = (call: ModelCall): ModelReply =>
  call.schemaName === 'answer' ? { json: goodAnswer } : { status: 400, error: `no answer for ${call.schemaName}` };

describe('structured output: each mode, the fallbacks of auto, and what is remembered', function () {
  this.timeout(30_000);
  const start = gatewaysUnderTest();

  it('json_schema: a strict response_format, and no schema in the prompt', async () => {
    const under = await start(answers);
    const reply = await under.gateway.completeStructured(answerRequest());
    assert.deepEqual(reply, { value: goodAnswer, totalTokens: 150, model: 'test-model' });
    const [call] = under.model.calls;
    assert.equal(call!.responseFormat?.type, 'json_schema');
    assert.equal(call!.responseFormat?.json_schema?.name, 'answer');
    assert.equal(call!.responseFormat?.json_schema?.strict, true);
    assert.equal(JSON.stringify(call!.responseFormat).includes('maxLength'), false, 'only the strict subset is sent');
    assert.equal(systemOf(call!), 'You answer questions.');
    assert.equal(under.records[0]!.request.structuredOutput, 'json_schema');
  });

  it('auto: DeepSeek refuses json_schema, json_object works, and the endpoint and model keep json_object', async () => {
    const under = await start(answers, { server: { refuseResponseFormats: ['json_schema'] } });
    assert.deepEqual((await under.gateway.completeStructured(answerRequest())).value, goodAnswer);
    assert.deepEqual(
      under.model.calls.map((call) => call.responseFormat?.type),
      ['json_schema', 'json_object'],
    );
    const jsonObjectCall = under.model.calls[1]!;
    assert.match(systemOf(jsonObjectCall), /^You answer questions\.\n\nReply with one JSON object only/);
    assert.match(systemOf(jsonObjectCall), /It is the "answer" reply and must match this JSON Schema:/);
    assert.ok(systemOf(jsonObjectCall).includes('"maxLength":200'), 'the prompt has the whole schema');
    assert.equal(jsonObjectCall.schemaName, 'answer', 'the scripted model read the name from the prompt');
    assert.equal(under.records[0]!.error?.includes('This response_format type is unavailable now'), true);

    await under.gateway.completeStructured(answerRequest());
    assert.equal(under.model.calls.length, 3, 'the next call goes straight to json_object');
    assert.equal(under.model.calls[2]!.responseFormat?.type, 'json_object');
    assert.equal(under.gateway.structuredOutputMode('test-model'), 'json_object');
    assert.deepEqual(under.changes, [
      {
        endpoint: under.gateway.endpoint,
        model: 'test-model',
        habit: 'structured output',
        from: 'json_schema',
        to: 'json_object',
        reason: 'the endpoint refused response_format json_schema',
      },
    ]);
  });

  it('auto: both formats refused, prompt mode sends no response_format, the schema in the prompt', async () => {
    const under = await start(answers, { server: { refuseResponseFormats: ['json_schema', 'json_object'] } });
    assert.deepEqual((await under.gateway.completeStructured(answerRequest())).value, goodAnswer);
    assert.deepEqual(
      under.model.calls.map((call) => call.responseFormat?.type ?? null),
      ['json_schema', 'json_object', null],
    );
    assert.match(systemOf(under.model.calls[2]!), /It is the "answer" reply/);
    await under.gateway.completeStructured(answerRequest());
    assert.equal(under.model.calls.length, 4);
    assert.equal(under.model.calls[3]!.responseFormat, null);
    assert.deepEqual(
      under.changes.map((change) => `${change.from} → ${change.to}`),
      ['json_schema → json_object', 'json_object → prompt'],
    );
  });

  it('remembers per endpoint and model: another model, or another endpoint, starts from json_schema again', async () => {
    const under = await start(answers, { server: { refuseResponseFormats: ['json_schema'] } });
    const memory = new EndpointMemory();
    const shared = under.gatewayWith({ memory });
    await shared.completeStructured(answerRequest());
    assert.equal(shared.structuredOutputMode('test-model'), 'json_object');
    assert.equal(shared.structuredOutputMode('other-model'), 'json_schema');

    const callsBefore = under.model.calls.length;
    await under.gatewayWith({ memory }).completeStructured(answerRequest());
    assert.equal(under.model.calls.length, callsBefore + 1, 'a gateway sharing the memory knows already');
    await shared.completeStructured(answerRequest({ model: 'other-model' }));
    assert.deepEqual(
      under.model.calls.slice(-2).map((call) => [call.model, call.responseFormat?.type]),
      [
        ['other-model', 'json_schema'],
        ['other-model', 'json_object'],
      ],
    );

    const elsewhere = await start(answers);
    const other = createLlmGateway(
      { apiKey: 'k', baseUrl: elsewhere.model.baseUrl, model: 'test-model', requestTimeoutMs: 10_000, memory },
      async () => undefined,
    );
    assert.equal(other.structuredOutputMode('test-model'), 'json_schema');
    await other.completeStructured(answerRequest());
    assert.equal(elsewhere.model.calls[0]!.responseFormat?.type, 'json_schema');
  });

  it('json_object and prompt, when configured: the schema in the prompt from the first call', async () => {
    const under = await start(answers);
    await under.gatewayWith({ structuredOutput: 'json_object' }).completeStructured(answerRequest());
    await under.gatewayWith({ structuredOutput: 'prompt' }).completeStructured(answerRequest());
    const [jsonObject, prompt] = under.model.calls;
    assert.equal(jsonObject!.responseFormat?.type, 'json_object');
    assert.equal(prompt!.responseFormat, null);
    for (const call of [jsonObject!, prompt!]) assert.match(systemOf(call), /It is the "answer" reply/);
  });

  it('a configured mode does not fall back: the refusal fails the call, saying what would', async () => {
    const under = await start(answers, { server: { refuseResponseFormats: ['json_schema'] } });
    await assertFails(under.gatewayWith({ structuredOutput: 'json_schema' }).completeStructured(answerRequest()), {
      code: 'AI_SERVICE_ERROR',
      retryable: false,
      message: /unavailable now \(LLM_STRUCTURED_OUTPUT=auto finds a structured-output mode/,
    });
    assert.equal(under.model.calls.length, 1);
  });

  it('every re-ask after an unusable reply carries the schema, even in json_schema mode', async () => {
    let calls = 0;
    const under = await start(() => (calls++ === 0 ? { json: { answer: '' } } : { json: goodAnswer }));
    await under.gateway.completeStructured(answerRequest());
    const [first, second] = under.model.calls;
    assert.equal(systemOf(first!), 'You answer questions.');
    assert.match(systemOf(second!), /It is the "answer" reply and must match this JSON Schema:/);
    assert.equal(second!.responseFormat?.type, 'json_schema', 'still json_schema: the endpoint held to it');
    assert.deepEqual(
      second!.messages.map((message) => message.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.match(second!.messages[3]!.content, /^That reply cannot be used: the reply does not match the schema/);
  });

  it('a reply in prose (JSON in a fence or in a sentence) is used, and moves json_schema to prompt for later calls', async () => {
    for (const reply of [{ prose: goodAnswer }, { prose: goodAnswer, fence: false }] as ModelReply[]) {
      const under = await start(() => reply);
      assert.deepEqual((await under.gateway.completeStructured(answerRequest())).value, goodAnswer);
      assert.equal(under.model.calls.length, 1, 'the reply itself was usable');
      assert.equal(under.gateway.structuredOutputMode('test-model'), 'prompt');
      assert.match(under.changes[0]!.reason, /ignored response_format json_schema \(the JSON came in (fence|prose)\)/);
      await under.gateway.completeStructured(answerRequest());
      assert.equal(under.model.calls[1]!.responseFormat, null);
      assert.equal(under.model.calls[1]!.schemaName, 'answer');
    }
  });

  it('an endpoint that ignores response_format altogether (its replies in a ```json fence) ends in prompt mode', async () => {
    const under = await start(answers, { server: { ignoreResponseFormat: true } });
    await under.gateway.completeStructured(answerRequest());
    await under.gateway.completeStructured(answerRequest());
    assert.deepEqual(
      under.model.calls.map((call) => [call.responseFormat?.type ?? null, call.schemaName]),
      [
        ['json_schema', 'answer'],
        [null, 'answer'],
      ],
    );
  });

  it('in json_object mode a reply in prose is used too, and the mode stays', async () => {
    const under = await start(() => ({ prose: goodAnswer }), { settings: { structuredOutput: 'json_object' } });
    assert.deepEqual((await under.gateway.completeStructured(answerRequest())).value, goodAnswer);
    assert.equal(under.gateway.structuredOutputMode('test-model'), 'json_object');
    assert.deepEqual(under.changes, []);
  });

  it("DeepSeek's refusal, when scripted per call, is a fallback too", async () => {
    const under = await start((call) =>
      call.responseFormat?.type === 'json_schema' ? habits.deepSeekRefusesResponseFormat() : answers(call),
    );
    await under.gateway.completeStructured(answerRequest());
    assert.deepEqual(
      under.model.calls.map((call) => call.responseFormat?.type),
      ['json_schema', 'json_object'],
    );
  });
});
