import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { catalogueScript, standardCatalogue } from '../helpers/canned-tools';
import { pollUntil, postJson } from '../helpers/http';
import { FINISHED, requirement } from '../helpers/jobs';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

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
    const { last } = await pollUntil(
      `${stack.apiUrl}/jobs/${created.body.jobId}`,
      (answer) => FINISHED.includes(answer.body.status),
      150_000,
      250,
    );
    assert.equal(last.body.status, 'completed', `${JSON.stringify(last.body)}\n${second.output()}`);
    assert.deepEqual(last.body.failures, []);
    const implementCalls = stack.model.calls.filter((call) => call.schemaName === 'tool_implementation');
    assert.equal(implementCalls.length, 2, 'each tool implemented once: nothing was redone');
    const tools = await stack.mongo.db.collection('tools').countDocuments({ job_id: created.body.jobId });
    assert.equal(tools, 2, 'one tool per requirement');
  });
});
