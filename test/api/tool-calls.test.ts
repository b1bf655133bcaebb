import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { assertErrorResponse } from '../helpers/assertions';
import { molecularWeightScript } from '../../dev/canned-tools';
import { postJson, request, type HttpAnswer } from '../../dev/http';
import { makeMolecularWeightTool, misbehavingTools, registerHandMadeTool } from '../../dev/registered-tools';
import { useTestStack } from '../../dev/stack';

const ETHANOL_WEIGHT = 46.07;
const EXECUTION_KEYS = ['error', 'executionTimeMs', 'name', 'output', 'success', 'toolId', 'version'];
const MOLECULAR_WEIGHT = 'calculate_molecular_weight';

function assertEthanolWeight(answer: HttpAnswer, toolId: string, version: number): void {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(Object.keys(answer.body).sort(), EXECUTION_KEYS);
  const { success, output, error, name, executionTimeMs } = answer.body;
  assert.equal(success, true, error);
  assert.equal(error, null);
  assert.ok(Math.abs(output.molecular_weight - ETHANOL_WEIGHT) < 0.01, JSON.stringify(output));
  assert.deepEqual(
    { toolId: answer.body.toolId, name, version: answer.body.version },
    {
      toolId,
      name: MOLECULAR_WEIGHT,
      version,
    },
  );
  assert.ok(Number.isInteger(executionTimeMs) && executionTimeMs >= 0);
}

function assertUnsuccessful(answer: HttpAnswer, error: RegExp): void {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.success, false);
  assert.equal(answer.body.output, null);
  assert.match(answer.body.error, error);
}

describe('running registered tools: execute, OpenAI function calling and /execute-tool', function () {
  this.timeout(300_000);
  const stack = useTestStack(molecularWeightScript());
  let api: string;
  let toolId: string;
  const handMade: Record<keyof typeof misbehavingTools, string> = {
    raises: '',
    floodsOutput: '',
    breaksOutputSchema: '',
    invalidSchema: '',
  };

  const execute = (id: string, input: unknown) => postJson(`${api}/tools/${id}/execute`, { input });
  const registrySnapshot = () => stack().stores.tools.list(stack().clientId, {}, { limit: 100 });

  before(async () => {
    api = stack().apiUrl;
    toolId = await makeMolecularWeightTool(stack());
    for (const [key, tool] of Object.entries(misbehavingTools)) {
      handMade[key as keyof typeof misbehavingTools] = (await registerHandMadeTool(stack(), tool))._id.toHexString();
    }
  });

  describe('POST /tools/{toolId}/execute and /tools/by-name/{name}/execute', () => {
    it('runs the tool in the sandbox: ethanol (CCO) weighs ≈ 46.07', async () => {
      assertEthanolWeight(await execute(toolId, { smiles: 'CCO' }), toolId, 1);
    });

    it('runs the newest registered version of a name, or the version asked for', async () => {
      const byName = `${api}/tools/by-name/${MOLECULAR_WEIGHT}/execute`;
      assertEthanolWeight(await postJson(byName, { input: { smiles: 'CCO' } }), toolId, 1);
      assertEthanolWeight(await postJson(`${byName}?version=1`, { input: { smiles: 'CCO' } }), toolId, 1);
    });

    it('answers a tool that raises with success: false and "<ExceptionType>: <message>", not a 5xx', async () => {
      assertUnsuccessful(await execute(toolId, { smiles: 'xyz' }), /^ValueError: Invalid SMILES string: xyz$/);
      assertUnsuccessful(await execute(handMade.raises, { reason: 'test' }), /^RuntimeError: refusing: test$/);
    });

    it('answers a tool that hits a sandbox limit with success: false naming the limit', async () => {
      const answer = await execute(handMade.floodsOutput, {});
      assertUnsuccessful(answer, /^the tool printed more than \d+ bytes \(the output limit\) and was killed$/);
      assert.ok(answer.body.executionTimeMs >= 0);
    });

    it('answers an output its output schema does not allow with success: false saying what is wrong', async () => {
      assertUnsuccessful(
        await execute(handMade.breaksOutputSchema, {}),
        /^the output does not fit the tool's output schema: output\.molecular_weight must be number$/,
      );
    });

    it('checks the input against the input schema before anything runs: 400 naming the field', async () => {
      for (const input of [{ smiles: 42 }, {}]) {
        const answer = await execute(toolId, input);
        assertErrorResponse(answer, 400, 'INVALID_REQUEST', 'input.smiles');
        assert.equal(answer.body.details.fields[0].field, 'input.smiles');
      }
    });

    it('refuses a tool whose own schema does not compile: 409 TOOL_NOT_EXECUTABLE explaining it', async () => {
      const answer = await execute(handMade.invalidSchema, {});
      assertErrorResponse(answer, 409, 'TOOL_NOT_EXECUTABLE');
      assert.match(answer.body.error, /input schema is not a valid JSON Schema/);
    });

    it('answers every bad request with a clear 4xx naming what is wrong, and changes nothing', async () => {
      const before = await registrySnapshot();
      const url = `${api}/tools/${toolId}/execute`;
      assertErrorResponse(await postJson(url, {}), 400, 'INVALID_REQUEST', 'input');
      for (const input of ['CCO', [1, 2], null, 42]) {
        assertErrorResponse(await postJson(url, { input }), 400, 'INVALID_REQUEST', 'input');
      }
      assertErrorResponse(await postJson(url, '{"input": {'), 400, 'INVALID_REQUEST');
      assertErrorResponse(await postJson(url, '[1]'), 400, 'INVALID_REQUEST');
      assertErrorResponse(await execute(new ObjectId().toHexString(), { smiles: 'CCO' }), 404, 'TOOL_NOT_FOUND');
      for (const id of ['not-an-id', '123', 'z'.repeat(24)]) {
        assertErrorResponse(await execute(id, { smiles: 'CCO' }), 400, 'INVALID_REQUEST', 'toolId');
      }
      const byName = (name: string, query = '') =>
        postJson(`${api}/tools/by-name/${name}/execute${query}`, { input: {} });
      assertErrorResponse(await byName('no_such_tool'), 404, 'TOOL_NOT_FOUND');
      assertErrorResponse(await byName('not%20a%20name'), 400, 'INVALID_REQUEST', 'name');
      assertErrorResponse(await byName(MOLECULAR_WEIGHT, '?version=two'), 400, 'INVALID_REQUEST', 'version');
      assertErrorResponse(await byName(MOLECULAR_WEIGHT, '?version=9'), 404, 'TOOL_NOT_FOUND');
      const threeMegabytes = { smiles: 'C'.repeat(3 * 1024 * 1024) };
      assertErrorResponse(await execute(toolId, threeMegabytes), 413, 'PAYLOAD_TOO_LARGE');
      assert.deepEqual(await registrySnapshot(), before);
    });
  });

  describe('OpenAI function definitions', () => {
    it('GET /tools/{toolId}/openai: the Responses API shape, strict only when the schema allows it', async () => {
      const answer = await request(`${api}/tools/${toolId}/openai`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, {
        type: 'function',
        name: MOLECULAR_WEIGHT,
        description: answer.body.description,
        parameters: { type: 'object', properties: { smiles: { type: 'string' } }, required: ['smiles'] },
        // its schema has no additionalProperties: false, so strict mode would refuse it
        strict: false,
      });
      assert.match(answer.body.description, /molecular weight/i);
    });

    it('?format=chat: the Chat Completions shape; an unknown format is a 400', async () => {
      const responses = await request(`${api}/tools/${toolId}/openai`);
      const chat = await request(`${api}/tools/${toolId}/openai?format=chat`);
      assert.equal(chat.status, 200);
      const { type, ...fields } = responses.body;
      assert.deepEqual(chat.body, { type, function: fields });
      assertErrorResponse(await request(`${api}/tools/${toolId}/openai?format=xml`), 400, 'INVALID_REQUEST', 'format');
      assertErrorResponse(await request(`${api}/openai/functions?format=xml`), 400, 'INVALID_REQUEST', 'format');
    });

    it('GET /openai/functions: every registered tool once, the newest version of a name', async () => {
      const secondVersion = await makeMolecularWeightTool(stack(), { reuse: false });
      const versions = await stack().stores.tools.versionsOf(stack().clientId, MOLECULAR_WEIGHT);
      assert.deepEqual(
        versions.map((version) => [version._id.toHexString(), version.status]),
        [
          [secondVersion, 'registered'],
          [toolId, 'registered'],
        ],
      );
      const answer = await request(`${api}/openai/functions`);
      assert.equal(answer.status, 200);
      const names = answer.body.functions.map((definition: any) => definition.name);
      assert.deepEqual(
        [...names].sort(),
        [MOLECULAR_WEIGHT, ...Object.values(misbehavingTools).map((t) => t.name)].sort(),
      );
      assert.ok(answer.body.functions.every((definition: any) => definition.type === 'function'));
      const chat = await request(`${api}/openai/functions?format=chat`);
      assert.deepEqual(
        chat.body.functions.map((definition: any) => definition.function.name).sort(),
        [...names].sort(),
      );
    });
  });

  describe('POST /execute-tool (a function_call in, its function_call_output out)', () => {
    const call = (body: unknown) => postJson(`${api}/execute-tool`, body);

    it('runs the tool on arguments given as the JSON string of a function_call, echoing call_id', async () => {
      const answer = await call({ tool_name: MOLECULAR_WEIGHT, arguments: '{"smiles": "CCO"}', call_id: 'call_7' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body).sort(), ['call_id', 'result']);
      assert.equal(answer.body.call_id, 'call_7');
      assert.ok(Math.abs(answer.body.result.molecular_weight - ETHANOL_WEIGHT) < 0.01);
    });

    it('takes arguments as an object too; without a call_id it answers call_id null', async () => {
      const answer = await call({ tool_name: MOLECULAR_WEIGHT, arguments: { smiles: 'CCO' } });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.call_id, null);
      assert.ok(Math.abs(answer.body.result.molecular_weight - ETHANOL_WEIGHT) < 0.01);
    });

    it('answers a tool that raises or hits a limit with result { error } for the model to read', async () => {
      const raised = await call({ tool_name: 'refuse_everything', arguments: '{"reason": "x"}', call_id: 'c1' });
      assert.deepEqual(raised.body, { call_id: 'c1', result: { error: 'RuntimeError: refusing: x' } });
      const invalid = await call({ tool_name: MOLECULAR_WEIGHT, arguments: { smiles: 'xyz' } });
      assert.match(invalid.body.result.error, /^ValueError: Invalid SMILES string/);
      const flooded = await call({ tool_name: 'print_forever', arguments: '{}' });
      assert.equal(flooded.status, 200);
      assert.match(flooded.body.result.error, /output limit/);
    });

    it('answers an unknown tool 404 and bad arguments 400 naming arguments, changing nothing', async () => {
      const before = await registrySnapshot();
      assertErrorResponse(await call({ tool_name: 'no_such_tool', arguments: '{}' }), 404, 'TOOL_NOT_FOUND');
      for (const bad of ['{"smiles": ', 'CCO', '[1, 2]', '"CCO"', 'null', 42, [1]]) {
        const answer = await call({ tool_name: MOLECULAR_WEIGHT, arguments: bad });
        assertErrorResponse(answer, 400, 'INVALID_REQUEST', 'arguments');
      }
      const wrongType = await call({ tool_name: MOLECULAR_WEIGHT, arguments: '{"smiles": 42}' });
      assertErrorResponse(wrongType, 400, 'INVALID_REQUEST', 'arguments.smiles');
      assertErrorResponse(await call({ arguments: '{}' }), 400, 'INVALID_REQUEST', 'tool_name');
      assertErrorResponse(await call({ tool_name: MOLECULAR_WEIGHT }), 400, 'INVALID_REQUEST', 'arguments');
      assertErrorResponse(
        await call({ tool_name: 'x', arguments: '{}', call_id: 7 }),
        400,
        'INVALID_REQUEST',
        'call_id',
      );
      assert.deepEqual(await registrySnapshot(), before);
    });
  });

  describe('a deprecated version', () => {
    it('is not run (409 TOOL_NOT_EXECUTABLE) and has no function definition; the name runs the newest registered', async () => {
      const [newest] = await stack().stores.tools.versionsOf(stack().clientId, MOLECULAR_WEIGHT);
      const newestId = newest!._id.toHexString();
      const deprecated = await postJson(`${api}/tools/${newestId}/deprecate`, {});
      assert.equal(deprecated.status, 200, JSON.stringify(deprecated.body));
      assertErrorResponse(await execute(newestId, { smiles: 'CCO' }), 409, 'TOOL_NOT_EXECUTABLE');
      const byVersion = `${api}/tools/by-name/${MOLECULAR_WEIGHT}/execute?version=${newest!.version}`;
      assertErrorResponse(await postJson(byVersion, { input: { smiles: 'CCO' } }), 409, 'TOOL_NOT_EXECUTABLE');
      assertErrorResponse(await request(`${api}/tools/${newestId}/openai`), 409, 'TOOL_NOT_EXECUTABLE');
      const byName = await postJson(`${api}/tools/by-name/${MOLECULAR_WEIGHT}/execute`, { input: { smiles: 'CCO' } });
      assertEthanolWeight(byName, toolId, 1);
    });
  });
});
