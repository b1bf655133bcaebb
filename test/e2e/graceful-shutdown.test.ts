import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { findFreePort, waitForPort } from '../../infra/child-process';
import { postJson, request } from '../../dev/http';
import { napTool, registerHandMadeTool } from '../../dev/registered-tools';
import { requirement, waitForJobEnd } from '../../dev/jobs';
import { startTestStack, type TestStack } from '../../dev/stack';
import { waitFor } from '../../dev/wait';
import { startWorkerProcess, type WorkerProcess } from '../../dev/worker-process';

const MODEL_LATENCY_MS = 3_000;

describe('a worker stopped with SIGTERM in the middle of a job', function () {
  this.timeout(240_000);
  let stack: TestStack;
  let bundleDir: string;
  const workers: WorkerProcess[] = [];

  before(async () => {
    // The second worker runs the workflow bundle built ahead of time, as the Docker image's worker does.
    bundleDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-bundle-'));
    await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      path.resolve(__dirname, '../../infra/bundle-workflows.ts'),
      path.join(bundleDir, 'workflow-bundle.js'),
    ]);
    // Slow model replies keep the worker inside an activity when it is told to stop.
    stack = await startTestStack({
      script: catalogueScript(standardCatalogue, { delayMs: MODEL_LATENCY_MS }),
      inProcessWorker: false,
    });
  });
  after(async () => {
    for (const worker of workers) worker.process.kill('SIGKILL');
    await stack?.stop();
    await rm(bundleDir, { recursive: true, force: true });
  });

  it('drains: the call in flight finishes, the worker exits 0, and a new worker (on the prebuilt bundle) completes the job', async () => {
    const first = startWorkerProcess({ ...stack.serviceEnv, SHUTDOWN_GRACE_MS: '20000' });
    workers.push(first);
    const created = await postJson(`${stack.apiUrl}/jobs`, {
      toolRequirements: [
        requirement('Calculate the molecular weight of a compound from SMILES.'),
        requirement('Convert a temperature between Celsius, Fahrenheit and Kelvin.'),
      ],
      options: { reuse: false },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    await waitFor(
      () => stack.model.calls.some((call) => call.schemaName === 'tool_implementation'),
      60_000,
      'the first implement call',
    );
    const inFlight = stack.model.calls.filter((call) => call.schemaName === 'tool_implementation');
    first.process.kill('SIGTERM');
    assert.equal(await first.exited, 0, `a clean exit after draining:\n${first.output()}`);
    assert.ok(
      inFlight.every((call) => call.abortedAt === null),
      'the model calls in flight were answered, not abandoned',
    );

    const second = startWorkerProcess({
      ...stack.serviceEnv,
      WORKFLOW_BUNDLE_PATH: path.join(bundleDir, 'workflow-bundle.js'),
    });
    workers.push(second);
    const finished = await waitForJobEnd(stack, created.body.jobId, 150_000);
    assert.equal(finished.status, 'completed', `${JSON.stringify(finished)}\n${second.output()}`);
    assert.deepEqual(finished.failures, []);
    const implementCalls = stack.model.calls.filter((call) => call.schemaName === 'tool_implementation');
    assert.equal(implementCalls.length, 2, 'each tool implemented once: nothing was redone');
    const tools = await stack.mongo.db.collection('tools').countDocuments({ job_id: created.body.jobId });
    assert.equal(tools, 2, 'one tool per requirement');
  });
});

describe('the API stopped with SIGTERM while a request is in flight', function () {
  this.timeout(120_000);
  let stack: TestStack;
  let api: ChildProcess | undefined;

  before(async () => {
    stack = await startTestStack({ script: catalogueScript(standardCatalogue), inProcessWorker: false });
  });
  after(async () => {
    api?.kill('SIGKILL');
    await stack?.stop();
  });

  it('finishes the request, refuses new connections, and exits 0', async () => {
    const port = await findFreePort();
    api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      cwd: path.resolve(__dirname, '../..'),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...stack.serviceEnv, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => api!.once('exit', (code) => resolve(code)));
    await waitForPort('127.0.0.1', port, 60_000);
    const tool = await registerHandMadeTool(stack, napTool);
    const url = `http://127.0.0.1:${port}/api/v1/tools/${tool._id.toHexString()}/execute`;
    const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
    const inFlight = request(url, { method: 'POST', headers, body: JSON.stringify({ input: { seconds: 2 } }) });
    await new Promise((resolve) => setTimeout(resolve, 700)); // the call is running in a sandbox
    api.kill('SIGTERM');
    const answer = await inFlight;
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.output, { slept: 2 });
    assert.equal(await exited, 0);
    await assert.rejects(fetch(url, { method: 'POST', headers, body: '{}' }), 'the port is closed');
  });
});
