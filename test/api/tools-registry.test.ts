import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { toolFileLocation } from '../../activities/register';
import type { NewTool } from '../../store/tools';
import { assertErrorResponse } from '../helpers/assertions';
import { catalogueScript, molecularWeightCode, standardCatalogue } from '../../dev/canned-tools';
import { postJson, request } from '../../dev/http';
import { requirement, runJob, runJobRequest } from '../../dev/jobs';
import { useTestStack } from '../../dev/stack';

const MOLECULAR_WEIGHT = 'Calculate the molecular weight of a compound from SMILES.';
const TEMPERATURE = 'Convert a temperature between Celsius, Fahrenheit and Kelvin.';
const LOTTERY = 'Predict the winning lottery numbers of the next draw.';

const molecularWeightRequirement = {
  description: MOLECULAR_WEIGHT,
  input: 'SMILES string',
  output: 'molecular weight in g/mol',
};

describe('the tool registry: versions, files, listing, deprecation and reuse', function () {
  this.timeout(300_000);
  const stack = useTestStack(catalogueScript(standardCatalogue));
  const api = () => stack().apiUrl;
  let firstJob: any;
  let molecularWeightV1: string;

  before(async () => {
    firstJob = await runJobRequest(stack(), {
      toolRequirements: [
        molecularWeightRequirement,
        { description: TEMPERATURE, input: 'value and units', output: 'converted value' },
        { description: LOTTERY, input: 'a date', output: 'six numbers' },
      ],
    });
    assert.equal(firstJob.status, 'completed', JSON.stringify(firstJob));
    molecularWeightV1 = firstJob.toolFiles[0].toolId;
  });

  it('shows a registered tool with its code, schemas, tests, file and versions', async () => {
    const answer = await request(`${api()}/tools/${molecularWeightV1}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const tool = answer.body;
    assert.equal(tool.toolId, molecularWeightV1);
    assert.equal(tool.name, 'calculate_molecular_weight');
    assert.equal(tool.version, 1);
    assert.equal(tool.status, 'registered');
    assert.equal(tool.jobId, firstJob.jobId);
    assert.match(tool.sessionId, /^[0-9a-f]{24}$/);
    assert.equal(tool.fileName, 'calculate_molecular_weight.py');
    assert.equal(tool.filePath, 'tools/test-client/calculate_molecular_weight/v1/calculate_molecular_weight.py');
    assert.equal(tool.code, molecularWeightCode);
    assert.deepEqual(tool.inputSchema.required, ['smiles']);
    assert.equal(tool.outputSchema.type, 'object');
    assert.deepEqual(tool.dependencies, ['rdkit']);
    assert.deepEqual(tool.testCases[0], {
      input: { smiles: 'CCO' },
      expectedOutput: { molecular_weight: 46.069 },
      tolerance: 0.01,
    });
    assert.deepEqual(tool.versions, [
      { toolId: molecularWeightV1, version: 1, status: 'registered', createdAt: tool.createdAt },
    ]);
  });

  it('lists the tenant’s tools newest first, filtered and paginated', async () => {
    const all = await request(`${api()}/tools?jobId=${firstJob.jobId}`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.tools.map((tool: any) => tool.status).sort(), ['failed', 'registered', 'registered']);
    const failed = await request(`${api()}/tools?status=failed&jobId=${firstJob.jobId}`);
    assert.deepEqual(
      failed.body.tools.map((tool: any) => tool.name),
      ['predict_lottery_numbers'],
    );
    assert.equal((await request(`${api()}/tools?name=convert_temperature`)).body.tools.length, 1);
    const bySession = await request(`${api()}/tools?sessionId=${all.body.tools[0].sessionId}`);
    assert.equal(bySession.body.tools.length, 3);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await request(
        `${api()}/tools?jobId=${firstJob.jobId}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200);
      assert.ok(page.body.tools.length <= 1);
      seen.push(...page.body.tools.map((tool: any) => tool.toolId));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.body.tools.map((tool: any) => tool.toolId),
    );
    const summary = all.body.tools[0];
    assert.deepEqual(Object.keys(summary).sort(), [
      'createdAt',
      'description',
      'jobId',
      'name',
      'sessionId',
      'status',
      'toolId',
      'updatedAt',
      'version',
    ]);
  });

  it('reuses a registered tool for an equal requirement (case and white space folded), with no model call', async () => {
    const callsBefore = stack().model.calls.length;
    const job = await runJobRequest(stack(), {
      toolRequirements: [
        {
          description: `  ${MOLECULAR_WEIGHT.toUpperCase().replace(/ /g, '   ')} `,
          input: 'smiles   STRING',
          output: 'Molecular weight in g/mol',
        },
      ],
    });
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(stack().model.calls.length, callsBefore, 'no model call');
    assert.equal(job.summary.reused, 1);
    assert.equal(job.summary.successful, 1);
    assert.equal(job.toolFiles[0].toolId, molecularWeightV1);
    const session = await request(
      `${api()}/sessions/${(await request(`${api()}/tools/${molecularWeightV1}`)).body.sessionId}`,
    );
    assert.equal(session.status, 200);
    const mirrored = await stack().stores.sessions.findByJobId(stack().clientId, job.jobId);
    assert.equal(mirrored?.tool_progress[0]?.reused, true);
    const tools = await request(`${api()}/sessions/${mirrored!._id.toHexString()}/tools`);
    assert.deepEqual(
      tools.body.tools.map((tool: any) => tool.toolId),
      [molecularWeightV1],
      'the reused tool is listed with the session that used it',
    );
  });

  describe('with reuse off', () => {
    let secondJob: any;
    let molecularWeightV2: string;

    before(async () => {
      secondJob = await runJobRequest(stack(), {
        toolRequirements: [molecularWeightRequirement],
        options: { reuse: false },
      });
      assert.equal(secondJob.status, 'completed', JSON.stringify(secondJob));
      molecularWeightV2 = secondJob.toolFiles[0].toolId;
    });

    it('generates a new version in its own file, leaving the first version’s file as it was', async () => {
      assert.notEqual(molecularWeightV2, molecularWeightV1);
      assert.equal(secondJob.summary.reused, 0);
      const v2 = (await request(`${api()}/tools/${molecularWeightV2}`)).body;
      assert.equal(v2.version, 2);
      assert.equal(v2.fileName, 'calculate_molecular_weight.py');
      assert.equal(v2.filePath, 'tools/test-client/calculate_molecular_weight/v2/calculate_molecular_weight.py');
      assert.deepEqual(
        v2.versions.map((version: any) => [version.version, version.toolId]),
        [
          [2, molecularWeightV2],
          [1, molecularWeightV1],
        ],
      );
      for (const version of [1, 2]) {
        const file = path.join(
          stack().toolsDir,
          toolFileLocation({ tenant_id: stack().clientId, name: v2.name, version }),
        );
        assert.equal(await readFile(file, 'utf8'), molecularWeightCode);
      }
    });

    it('finds the newest registered version by name, and any version with ?version=N', async () => {
      const newest = await request(`${api()}/tools/by-name/calculate_molecular_weight`);
      assert.equal(newest.status, 200);
      assert.equal(newest.body.toolId, molecularWeightV2);
      const first = await request(`${api()}/tools/by-name/calculate_molecular_weight?version=1`);
      assert.equal(first.body.toolId, molecularWeightV1);
      assertErrorResponse(
        await request(`${api()}/tools/by-name/calculate_molecular_weight?version=9`),
        404,
        'TOOL_NOT_FOUND',
      );
    });

    it('deprecates a version: by-name falls back to the older one, deprecating again changes nothing', async () => {
      const deprecated = await postJson(`${api()}/tools/${molecularWeightV2}/deprecate`, {});
      assert.equal(deprecated.status, 200, JSON.stringify(deprecated.body));
      assert.equal(deprecated.body.status, 'deprecated');
      assert.equal(deprecated.body.versions[0].status, 'deprecated');
      const again = await postJson(`${api()}/tools/${molecularWeightV2}/deprecate`, {});
      assert.equal(again.status, 200);
      assert.equal(again.body.updatedAt, deprecated.body.updatedAt);
      assert.equal((await request(`${api()}/tools/by-name/calculate_molecular_weight`)).body.toolId, molecularWeightV1);
      assert.equal((await request(`${api()}/tools?status=deprecated`)).body.tools[0].toolId, molecularWeightV2);
    });

    it('refuses to deprecate a tool that never passed validation', async () => {
      const failed = (await request(`${api()}/tools?status=failed`)).body.tools[0];
      assertErrorResponse(await postJson(`${api()}/tools/${failed.toolId}/deprecate`, {}), 409, 'TOOL_NOT_EXECUTABLE');
      assert.equal((await request(`${api()}/tools/${failed.toolId}`)).body.status, 'failed');
    });
  });

  it('gives concurrent registrations of one name distinct, consecutive versions', async () => {
    const name = `concurrent_tool_${new ObjectId().toHexString().slice(-6)}`;
    const newTool = (index: number): NewTool => ({
      tenant_id: stack().clientId,
      name,
      file_name: `${name}.py`,
      description: 'a tool registered by many jobs at once',
      code: `def ${name}():\n    return ${index}\n`,
      input_schema: { type: 'object' },
      output_schema: {},
      dependencies: [],
      test_cases: [],
      status: 'draft',
      errors: [],
      session_id: new ObjectId(),
      job_id: `job_concurrent_${index}`,
      requirement_index: 0,
      requirement: { description: `concurrent ${index}`, input: 'nothing', output: 'a number' },
      idempotency_key: `job_concurrent_${index}:0`,
    });
    const registered = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        stack().stores.tools.registerOnce(newTool(index), new Date(), (tool) => toolFileLocation(tool)),
      ),
    );
    assert.deepEqual(
      registered.map((tool) => tool.version).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.equal(new Set(registered.map((tool) => tool.file_path)).size, 8);
  });

  it('gives two jobs that make the same tool at once versions n and n+1, each with its own file', async () => {
    const [first, second] = await Promise.all([
      runJobRequest(stack(), {
        toolRequirements: [{ description: TEMPERATURE, input: 'a', output: 'b' }],
        options: { reuse: false },
      }),
      runJobRequest(stack(), {
        toolRequirements: [{ description: TEMPERATURE, input: 'a', output: 'b' }],
        options: { reuse: false },
      }),
    ]);
    const versions = await Promise.all(
      [first, second].map(async (job) => (await request(`${api()}/tools/${job.toolFiles[0].toolId}`)).body),
    );
    const numbers = versions.map((tool) => tool.version).sort((a, b) => a - b);
    assert.equal(numbers[1], numbers[0] + 1, JSON.stringify(numbers));
    assert.notEqual(versions[0].filePath, versions[1].filePath);
  });

  it('answers bad ids, names, filters and versions with a 4xx naming them, and unknown tools with 404', async () => {
    assertErrorResponse(await request(`${api()}/tools/not-an-id`), 400, 'INVALID_REQUEST', 'toolId');
    assertErrorResponse(await request(`${api()}/tools/${'a'.repeat(10_000)}`), 400, 'INVALID_REQUEST', 'toolId');
    assertErrorResponse(await request(`${api()}/tools/${new ObjectId().toHexString()}`), 404, 'TOOL_NOT_FOUND');
    assertErrorResponse(
      await postJson(`${api()}/tools/${new ObjectId().toHexString()}/deprecate`, {}),
      404,
      'TOOL_NOT_FOUND',
    );
    assertErrorResponse(await request(`${api()}/tools/by-name/no_such_tool`), 404, 'TOOL_NOT_FOUND');
    assertErrorResponse(await request(`${api()}/tools/by-name/..%2Fetc`), 400, 'INVALID_REQUEST', 'name');
    assertErrorResponse(
      await request(`${api()}/tools/by-name/calculate_molecular_weight?version=abc`),
      400,
      'INVALID_REQUEST',
      'version',
    );
    assertErrorResponse(await request(`${api()}/tools?status=bogus`), 400, 'INVALID_REQUEST', 'status');
    assertErrorResponse(await request(`${api()}/tools?sessionId=xyz`), 400, 'INVALID_REQUEST', 'sessionId');
    assertErrorResponse(await request(`${api()}/tools?limit=0`), 400, 'INVALID_REQUEST', 'limit');
    assertErrorResponse(
      await postJson(`${api()}/jobs`, { toolRequirements: [molecularWeightRequirement], options: { reuse: 'no' } }),
      400,
      'INVALID_REQUEST',
      'options.reuse',
    );
  });

  describe('across jobs', () => {
    it('reuses every tool a later job of the same requirements can use', async () => {
      const job = await runJob(stack(), [MOLECULAR_WEIGHT, TEMPERATURE]);
      assert.equal(job.summary.reused, 0, 'runJob asks for fresh tools');
      const callsBefore = stack().model.calls.length;
      const again = await runJobRequest(stack(), {
        toolRequirements: [requirement(TEMPERATURE), requirement(LOTTERY), requirement(MOLECULAR_WEIGHT)],
      });
      assert.equal(again.status, 'completed');
      assert.equal(again.summary.reused, 2);
      assert.equal(again.summary.failed, 1, 'the requirement no tool was registered for is generated (and fails)');
      assert.ok(stack().model.calls.length > callsBefore);
      assert.ok(
        stack()
          .model.calls.slice(callsBefore)
          .every((call) => /lottery/i.test(call.messages[1]!.content)),
      );
      assert.deepEqual(
        again.toolFiles.map((tool: any) => tool.toolId),
        [job.toolFiles[1].toolId, job.toolFiles[0].toolId],
        'in requirement order',
      );
    });
  });
});
