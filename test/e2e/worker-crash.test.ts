import assert from 'node:assert/strict';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { postJson } from '../../dev/http';
import type { ModelCall } from '../../dev/scripted-model';
import { requirement, waitForJobEnd } from '../../dev/jobs';
import { startTestStack, type TestStack } from '../../dev/stack';
import { waitFor } from '../../dev/wait';
import { startWorkerProcess, type WorkerProcess } from '../../dev/worker-process';
import { PROBE_PROMPT } from '../../llm/probe';

/** Each worker process asks the model one small plan when it starts (llm/probe.ts): not a call of the job. */
const isProbe = (call: ModelCall) => call.messages.some((message) => message.content === PROBE_PROMPT.user);

describe('(h) a worker killed with SIGKILL in the middle of a job', function () {
  this.timeout(240_000);
  let stack: TestStack;
  const workers: WorkerProcess[] = [];
  const jobCalls = () => stack.model.calls.filter((call) => !isProbe(call));

  before(async () => {
    // Slow model replies keep the first worker busy inside an activity when it is killed.
    stack = await startTestStack({
      script: catalogueScript(standardCatalogue, { delayMs: 2_000 }),
      inProcessWorker: false,
    });
  });
  after(async () => {
    for (const worker of workers) worker.process.kill('SIGKILL');
    await stack?.stop();
  });

  it('loses nothing: a new worker finishes the job with exactly one tool per requirement', async () => {
    const first = startWorkerProcess(stack.serviceEnv);
    workers.push(first);
    const created = await postJson(`${stack.apiUrl}/jobs`, {
      toolRequirements: [
        requirement('Calculate the molecular weight of a compound from SMILES.'),
        requirement('Convert a temperature between Celsius, Fahrenheit and Kelvin.'),
      ],
    });
    assert.equal(created.status, 201);

    await waitFor(
      () => jobCalls().some((call) => call.schemaName === 'tool_implementation'),
      60_000,
      'the first implement call',
    );
    first.process.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed by a signal, not exited');
    const callsBeforeCrash = jobCalls().length;

    const second = startWorkerProcess(stack.serviceEnv);
    workers.push(second);
    const finished = await waitForJobEnd(stack, created.body.jobId, 150_000);
    assert.equal(finished.status, 'completed', `${JSON.stringify(finished)}\n${second.output()}`);
    assert.deepEqual(finished.failures, []);
    assert.deepEqual(finished.toolFiles.map((tool: any) => tool.fileName).sort(), [
      'calculate_molecular_weight.py',
      'convert_temperature.py',
    ]);
    assert.ok(jobCalls().length > callsBeforeCrash, 'the new worker redid the interrupted call');
    assert.equal(stack.model.calls.filter(isProbe).length, 2, 'one start-up probe per worker process');

    const db = stack.mongo.db;
    assert.equal(
      await db.collection('tools').countDocuments({ job_id: created.body.jobId }),
      2,
      'one tool per requirement',
    );
    const session = await db.collection('sessions').findOne({ job_id: created.body.jobId });
    assert.equal(session?.tool_ids.length, 2);
    assert.equal(session?.status, 'completed');
  });
});
