import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { toolGenerationJob } from '../../workflows';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { requirement, runJob, scheduledActivities } from '../../dev/jobs';
import type { ModelCall, ModelReply, ModelScript } from '../../dev/scripted-model';
import { useTestStack, type TestStack } from '../../dev/stack';

const catalogue = catalogueScript(standardCatalogue);

/** The first `count` calls get `reply`; the rest go to the catalogue. */
function firstCallsThen(count: number, reply: (call: ModelCall) => ModelReply): ModelScript {
  let seen = 0;
  return (call) => (seen++ < count ? reply(call) : catalogue(call));
}

describe('the generation pipeline: repairs, partial failures and classified model errors', function () {
  this.timeout(300_000);
  const sharedStack = useTestStack(catalogue);
  let stack: TestStack;
  beforeEach(() => {
    stack = sharedStack();
  });

  it('(b) repairs a tool whose first implementation fails a test, and records both attempts', async () => {
    const job = await runJob(stack, ['Calculate the average molecular mass of a compound from SMILES.']);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.toolFiles.length, 1);
    assert.match(job.toolFiles[0].code, /Descriptors\.MolWt\(mol\)/);

    const implementCalls = stack.model.calls.filter((call) => call.schemaName === 'tool_implementation');
    assert.equal(implementCalls.length, 2);
    const repairPrompt = implementCalls[1]!.messages.find((message) => message.role === 'user')!.content;
    assert.match(repairPrompt, /Attempt 1 failed validation/);
    assert.match(
      repairPrompt,
      /value mismatch: expected \{"molecular_weight":46\.069\}, got \{"molecular_weight":46\.04/,
    );
    assert.match(repairPrompt, /Either the code or the expected values are wrong/);
    assert.match(repairPrompt, /ExactMolWt/, 'the previous code is shown');

    const activities = await scheduledActivities(stack, job.jobId);
    const attempts = activities.filter(
      (activity) => activity.type === 'implementTool' || activity.type === 'validateTool',
    );
    assert.deepEqual(
      attempts.map((activity) => activity.summary),
      [
        'implement average_molecular_mass, attempt 1',
        'validate average_molecular_mass, attempt 1',
        'implement average_molecular_mass, attempt 2',
        'validate average_molecular_mass, attempt 2',
      ],
    );
    const steps = await stack.mongo.db
      .collection('agent_sessions')
      .find({ job_id: job.jobId })
      .sort({ created_at: 1 })
      .toArray();
    assert.deepEqual(
      steps.map((step) => step.step),
      ['plan', 'implement', 'repair'],
    );
  });

  it('(c) stores an impossible tool as failed after its repairs, while the other tools of the job complete', async () => {
    const job = await runJob(stack, [
      'Predict the winning lottery numbers of the next draw.',
      'Convert a temperature between Celsius, Fahrenheit and Kelvin.',
      'Calculate the molecular weight of a compound from SMILES.',
    ]);
    assert.equal(job.status, 'completed');
    assert.deepEqual(job.progress, { total: 3, completed: 2, failed: 1, inProgress: 0, currentTool: null });
    assert.deepEqual(
      job.toolFiles.map((tool: any) => tool.fileName),
      ['convert_temperature.py', 'calculate_molecular_weight.py'],
    );
    assert.equal(job.failures.length, 1);
    assert.equal(job.failures[0].code, 'VALIDATION_FAILED');
    assert.equal(job.failures[0].toolRequirement.description, 'Predict the winning lottery numbers of the next draw.');
    assert.match(job.failures[0].error, /after 4 attempts \(0\/1 tests passed, wrong values\)/);
    assert.deepEqual(
      { successful: job.summary.successful, failed: job.summary.failed, totalRequested: job.summary.totalRequested },
      { successful: 2, failed: 1, totalRequested: 3 },
    );

    const lotteryCalls = stack.model.calls.filter(
      (call) => call.schemaName === 'tool_implementation' && call.messages[1]!.content.includes('lottery'),
    );
    assert.equal(lotteryCalls.length, 4, 'one implementation and three repairs');
    const failedTool = await stack.mongo.db.collection('tools').findOne({ job_id: job.jobId, status: 'failed' });
    assert.equal(failedTool?.name, 'predict_lottery_numbers');
    assert.match(failedTool?.code, /random\.sample/);
    assert.match(failedTool?.errors[0], /value mismatch/);
    assert.equal(await stack.mongo.db.collection('tools').countDocuments({ job_id: job.jobId }), 3);
  });

  it('(d) a 401 from the model is not retried: the job fails with AI_SERVICE_ERROR, quickly', async () => {
    stack.model.setScript(() => ({ status: 401, error: 'Incorrect API key provided.' }));
    const started = Date.now();
    const job = await runJob(stack, [
      'Calculate the molecular weight of a compound from SMILES.',
      'Convert a temperature.',
    ]);
    const elapsedMs = Date.now() - started;
    assert.equal(job.status, 'failed');
    assert.equal(job.error.code, 'AI_SERVICE_ERROR');
    assert.match(job.error.message, /rejected the credentials \(HTTP 401\): check OPENAI_API_KEY/);
    assert.equal(stack.model.calls.length, 2, 'one call per tool, no retries');
    assert.ok(elapsedMs < 10_000, `took ${elapsedMs} ms`);
  });

  it('(e) a 429 is retried after its Retry-After, and the job completes', async () => {
    stack.model.setScript(
      firstCallsThen(1, () => ({ status: 429, error: 'Rate limit reached.', headers: { 'retry-after': '1' } })),
    );
    const job = await runJob(stack, ['Calculate the molecular weight of a compound from SMILES.']);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    const planCalls = stack.model.calls.filter((call) => call.schemaName === 'tool_plan');
    assert.equal(planCalls.length, 2);
    const failedCall = await stack.mongo.db.collection('agent_sessions').findOne({ job_id: job.jobId, error: /429/ });
    assert.ok(failedCall, 'the rate-limited call is recorded');
  });

  it('(e) a rate limit that outlasts the retries is reported as AI_SERVICE_RATE_LIMITED', async () => {
    stack.model.setScript(() => ({ status: 429, error: 'Rate limit reached.', headers: { 'retry-after': '1' } }));
    const job = await runJob(stack, ['Calculate the molecular weight of a compound from SMILES.'], 180_000);
    assert.equal(job.status, 'completed');
    assert.equal(job.failures[0].code, 'AI_SERVICE_RATE_LIMITED');
    assert.equal(stack.model.calls.length, 5, 'the LLM preset allows five attempts');
  });

  it('(f) a reply that is not JSON is re-asked with the parse error, and the job completes', async () => {
    stack.model.setScript(
      firstCallsThen(1, () => ({ content: '{"functionName": "calculate_molecular_weight", oops' })),
    );
    const job = await runJob(stack, ['Calculate the molecular weight of a compound from SMILES.']);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    const [broken, corrected] = stack.model.calls.filter((call) => call.schemaName === 'tool_plan');
    assert.equal(broken!.messages.length, 2);
    assert.equal(corrected!.messages.length, 4);
    assert.match(corrected!.messages[3]!.content, /That reply cannot be used: the reply is not JSON/);
  });

  it('feeds back a plan that depends on a package the runtime does not have', async () => {
    stack.model.setScript(
      firstCallsThen(1, () => ({
        json: { ...(standardCatalogue[1]!.plan as object), dependencies: ['pandas', 'rdkit'] },
      })),
    );
    const job = await runJob(stack, ['Calculate the molecular weight of a compound from SMILES.']);
    assert.equal(job.status, 'completed');
    const corrected = stack.model.calls.filter((call) => call.schemaName === 'tool_plan')[1]!;
    assert.match(corrected.messages[3]!.content, /dependencies pandas are not installed in the tool runtime/);
  });

  it('gives two tools planned with the same name unique names within the job', async () => {
    const job = await runJob(stack, [
      'Calculate the molecular weight of a compound from SMILES.',
      'Calculate the molecular weight of a molecule, again.',
    ]);
    assert.equal(job.status, 'completed');
    // Whichever plan finishes first keeps the name: the set is what is guaranteed, not the order.
    assert.deepEqual(job.toolFiles.map((tool: any) => tool.fileName).sort(), [
      'calculate_molecular_weight.py',
      'calculate_molecular_weight_2.py',
    ]);
    for (const tool of job.toolFiles) {
      assert.ok(tool.code.includes(`def ${tool.fileName.replace('.py', '')}(`), 'each module defines its own name');
    }
  });

  it('fails a tool that outlives its deadline with GENERATION_TIMEOUT', async () => {
    stack.model.setScript((call) => ({ ...catalogue(call), delayMs: 4_000 }));
    const jobId = `job_${new ObjectId().toHexString()}`;
    const result = await stack.env.client.workflow.execute(toolGenerationJob, {
      taskQueue: stack.config.temporal.taskQueue,
      workflowId: jobId,
      args: [
        {
          jobId,
          sessionId: new ObjectId().toHexString(),
          requirements: [requirement('Calculate the molecular weight of a compound from SMILES.')],
          clientId: null,
          clientSessionId: null,
          requestedAt: new Date().toISOString(),
          settings: { maxRepairRounds: 3, toolDeadlineMs: 2_000 },
          previousRun: null,
          options: { reuse: false },
        },
      ],
    });
    assert.equal(result.failures.length, 1);
    assert.equal(result.failures[0]!.code, 'GENERATION_TIMEOUT');
    assert.match(result.failures[0]!.error, /deadline of 2 s/);
  });
});
