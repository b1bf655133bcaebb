import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { toolPlanSchema } from '../../contract';
import { molecularWeightPlan } from '../../dev/canned-tools';
import {
  startScriptedModel,
  type ModelScript,
  type ScriptedModel,
  type ScriptedModelOptions,
} from '../../dev/scripted-model';

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(PROJECT_ROOT, 'cli/toolsmith.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npx toolsmith doctor` as a person runs it, with only the model settings given (none inherited). */
function doctor(env: Record<string, string>, args: string[] = []): Promise<CliRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(OPENAI_|LLM_|TOOLSMITH_)/.test(name)),
  );
  const child = spawn(process.execPath, [CLI, 'doctor', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A model that plans whatever it is asked with the canned plan, in any mode. */
const plans: ModelScript = (call) =>
  call.schemaName === 'tool_plan' ? { json: molecularWeightPlan } : { status: 400, error: `no ${call.schemaName}` };

describe('npx toolsmith doctor: one probe of the configured endpoint, and an exit code', function () {
  this.timeout(120_000);
  let model: ScriptedModel | undefined;
  const endpoint = (script: ModelScript, options: ScriptedModelOptions = {}) => {
    model?.setScript(script);
    model?.setOptions(options);
    return { OPENAI_BASE_URL: model!.baseUrl, OPENAI_API_KEY: 'doctor-key', OPENAI_MODEL: 'probe-model' };
  };

  before(async () => {
    assert.ok(
      toolPlanSchema.safeParse(molecularWeightPlan).success,
      'dev/canned-tools.ts molecularWeightPlan no longer fits toolPlanSchema: the probe fixture needs updating',
    );
    model = await startScriptedModel(plans);
  });
  after(() => model?.close());
  beforeEach(() => {
    model!.calls.length = 0;
  });

  it('usable: exit 0, with the endpoint, model, mode found, latency and tokens', async () => {
    const run = await doctor(endpoint(plans, { refuseResponseFormats: ['json_schema'] }));
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^endpoint +${model!.baseUrl.replace(/[./]/g, '\\$&')}$`, 'm'));
    assert.match(run.stdout, /^model +probe-model$/m);
    assert.match(
      run.stdout,
      /^structured output +json_object \(LLM_STRUCTURED_OUTPUT=auto; tried json_schema → json_object\)$/m,
    );
    assert.match(run.stdout, /^latency +\d+ ms over 2 calls$/m);
    assert.match(run.stdout, /^tokens +100 prompt \+ 50 completion = 150$/m);
    assert.match(run.stdout, /^usable +yes$/m);
    assert.equal(run.stderr, '');
    assert.deepEqual(
      model!.calls.map((call) => [call.schemaName, call.authorization]),
      [
        ['tool_plan', 'Bearer doctor-key'],
        ['tool_plan', 'Bearer doctor-key'],
      ],
    );
  });

  it('--json prints the probe result', async () => {
    const run = await doctor({ ...endpoint(plans), OPENAI_PLAN_MODEL: 'planner' }, ['--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.usable, true);
    assert.equal(result.model, 'planner', 'a plan asks the plan model');
    assert.equal(result.structuredOutput, 'json_schema');
    assert.equal(result.calls, 1);
  });

  it('a 401: non-zero, one line saying the key was refused', async () => {
    const run = await doctor(endpoint(plans, { apiKey: 'another-key' }));
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /^usable +no$/m);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(
      run.stderr,
      /^Error: the model endpoint is not usable: The model endpoint rejected the credentials \(HTTP 401\): check OPENAI_API_KEY.* \(MODEL_UNUSABLE\)$/m,
    );
  });

  it('an unknown model (404): non-zero, saying the model is not found', async () => {
    const run = await doctor(endpoint(plans, { models: ['some-other-model'] }));
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /does not know model "probe-model" \(HTTP 404, model not found\): check OPENAI_MODEL/);
  });

  it('an endpoint whose every mode fails: non-zero, no usable structured output, the modes tried named', async () => {
    const run = await doctor(
      endpoint(() => ({ content: 'Sure, a tool that adds two integers!' }), {
        refuseResponseFormats: ['json_schema', 'json_object'],
      }),
    );
    assert.notEqual(run.code, 0);
    assert.match(
      run.stderr,
      /not usable: no usable structured output \(tried json_schema → json_object → prompt\): The model's tool_plan reply was unusable 3 times in a row/,
    );
    assert.match(run.stdout, /^structured output +prompt /m);
  });

  it('an endpoint that is not there: non-zero, could not reach it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const run = await doctor({ OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, OPENAI_MODEL: 'probe-model' });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /Could not reach the model endpoint http:\/\/127\.0\.0\.1:\d+\/v1/);
  });

  it('no key and no base URL: non-zero, saying what to set, without a call', async () => {
    const run = await doctor({ OPENAI_MODEL: 'probe-model' });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /OPENAI_API_KEY is not set/);
  });

  it('a bad setting: non-zero, naming it', async () => {
    const run = await doctor({ ...endpoint(plans), LLM_EXTRA_BODY: '[1]' });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /LLM_EXTRA_BODY: must be a JSON object.*\(INVALID_CONFIGURATION\)/);
    assert.equal(model!.calls.length, 0);
  });
});
