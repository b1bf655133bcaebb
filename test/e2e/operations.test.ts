import assert from 'node:assert/strict';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { pollUntil, postJson, request } from '../../dev/http';
import { FINISHED, requirement } from '../../dev/jobs';
import type { ModelScript } from '../../dev/scripted-model';
import { readEventStream } from '../helpers/sse';
import { useTestStack, type TestStack } from '../../dev/stack';
import { waitFor } from '../../dev/wait';

const catalogue = catalogueScript(standardCatalogue);

const MOLECULAR_WEIGHT = 'Calculate the molecular weight of a compound from SMILES.';
const TEMPERATURE = 'Convert a temperature between Celsius, Fahrenheit and Kelvin.';

describe('operating jobs: Web UI search attributes, retry, cancel, live events', function () {
  this.timeout(300_000);
  const sharedStack = useTestStack(catalogue);
  let stack: TestStack;
  beforeEach(() => {
    stack = sharedStack();
  });

  const submit = async (descriptions: string[], clientId?: string) => {
    const created = await postJson(`${stack.apiUrl}/jobs`, {
      toolRequirements: descriptions.map(requirement),
      ...(clientId ? { metadata: { clientId } } : {}),
      // every job here is about generating: none may be answered by an earlier test's tool
      options: { reuse: false },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  };
  const waitEnded = async (jobId: string, timeoutMs = 120_000) =>
    (
      await pollUntil(
        `${stack.apiUrl}/jobs/${jobId}`,
        (answer) => FINISHED.includes(answer.body.status),
        timeoutMs,
        200,
      )
    ).last.body;

  it('sets search attributes a person can filter on in the Web UI, with summaries and live details', async () => {
    const created = await submit(
      [MOLECULAR_WEIGHT, 'Predict the winning lottery numbers of the next draw.'],
      'ops-client',
    );
    const job = await waitEnded(created.jobId);
    assert.equal(job.status, 'completed');

    const query = 'ToolsmithClientId = "ops-client" AND ToolsmithJobStatus = "completed" AND ToolsmithToolCount = 2';
    const listMatches = async () => {
      const ids: string[] = [];
      for await (const execution of stack.env.client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.includes(created.jobId) ? ids : null;
    };
    // Visibility is eventually consistent: the upserted attributes show up a moment after the run ends.
    const found = await waitFor(listMatches, 15_000, 'the job to be found by its search attributes');
    assert.deepEqual(found, [created.jobId]);

    const handle = stack.env.client.workflow.getHandle(created.jobId);
    const description = await handle.describe();
    assert.equal(await description.staticSummary(), `2 tools: ${MOLECULAR_WEIGHT} …`);
    assert.match((await description.staticDetails()) ?? '', /### 2\. Predict the winning lottery numbers/);
    assert.match((await description.staticDetails()) ?? '', /client: ops-client/);
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    assert.match(metadata.currentDetails ?? '', /\*\*Job completed\*\*/);
    assert.match(metadata.currentDetails ?? '', /\| 2 \| predict_lottery_numbers \| failed \(attempt 4\) \|/);
    assert.equal(
      job.temporal.uiUrl,
      `${stack.config.temporal.uiUrl}/namespaces/default/workflows/${created.jobId}/${description.runId}/history`,
    );
  });

  it('retries a job whose tool failed in a model outage, regenerating only that tool', async () => {
    const outage: ModelScript = (call) =>
      call.messages[1]!.content.includes('molecular weight')
        ? { status: 503, error: 'The model is overloaded.', headers: { 'retry-after': '0.05' } }
        : catalogue(call);
    stack.model.setScript(outage);
    const created = await submit([TEMPERATURE, MOLECULAR_WEIGHT]);
    const firstRun = await waitEnded(created.jobId);
    assert.equal(firstRun.status, 'completed');
    assert.deepEqual(
      firstRun.failures.map((failure: any) => failure.code),
      ['AI_SERVICE_ERROR'],
    );
    assert.equal(firstRun.toolFiles.length, 1);
    const keptToolId = firstRun.toolFiles[0].toolId;

    stack.model.setScript(catalogue);
    stack.model.calls.length = 0;
    const retried = await postJson(`${stack.apiUrl}/jobs/${created.jobId}/retry`, {});
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.jobId, created.jobId);
    assert.notEqual(retried.body.temporal.runId, firstRun.temporal.runId);
    const rightAfter = await request(`${stack.apiUrl}/jobs/${created.jobId}`);
    assert.ok(
      !FINISHED.includes(rightAfter.body.status),
      `right after the retry answered, the job is not shown as the earlier run ended: ${rightAfter.body.status}`,
    );
    const again = await postJson(`${stack.apiUrl}/jobs/${created.jobId}/retry`, {});
    assert.equal(again.status, 409, 'a running job cannot be retried');

    const secondRun = await waitEnded(created.jobId);
    assert.equal(secondRun.status, 'completed', JSON.stringify(secondRun));
    assert.deepEqual(secondRun.failures, []);
    assert.deepEqual(
      secondRun.toolFiles.map((tool: any) => tool.fileName),
      ['convert_temperature.py', 'calculate_molecular_weight.py'],
    );
    assert.equal(secondRun.toolFiles[0].toolId, keptToolId, 'the tool that succeeded was kept, not regenerated');
    assert.deepEqual(
      stack.model.calls.map((call) => call.schemaName),
      ['tool_plan', 'tool_implementation'],
      'only the failed tool went back to the model',
    );
    assert.equal(secondRun.createdAt, firstRun.createdAt);
    assert.equal(secondRun.temporal.runId, retried.body.temporal.runId, 'the ended job is the new run');

    const earlier = await stack.env.client.workflow.getHandle(created.jobId, firstRun.temporal.runId).describe();
    assert.equal(earlier.status.name, 'COMPLETED', 'the earlier run stays inspectable');
    const session = await stack.mongo.db.collection('sessions').findOne({ job_id: created.jobId });
    assert.equal(session?.run_number, 1);
    assert.equal(session?.status, 'completed');
    assert.equal(
      await stack.mongo.db.collection('tools').countDocuments({ job_id: created.jobId, status: 'registered' }),
      2,
    );

    const nothingLeft = await postJson(`${stack.apiUrl}/jobs/${created.jobId}/retry`, {});
    assert.equal(nothingLeft.status, 409);
    assert.equal(nothingLeft.body.code, 'JOB_ALREADY_COMPLETED');
    const unknown = await postJson(`${stack.apiUrl}/jobs/job_000000000000000000000000/retry`, {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'JOB_NOT_FOUND');
  });

  it('cancels a job mid-implement: the job ends cancelled and the model call is abandoned within seconds', async () => {
    stack.model.setScript((call) =>
      call.schemaName === 'tool_implementation' ? { ...catalogue(call), delayMs: 60_000 } : catalogue(call),
    );
    const created = await submit([MOLECULAR_WEIGHT]);
    await waitFor(
      () => stack.model.calls.some((call) => call.schemaName === 'tool_implementation'),
      30_000,
      'the implement call',
    );

    const cancelledAt = Date.now();
    const cancelled = await postJson(`${stack.apiUrl}/jobs/${created.jobId}/cancel`, {});
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    const job = await waitEnded(created.jobId, 10_000);
    assert.equal(job.status, 'cancelled');
    const implementCall = stack.model.calls.find((call) => call.schemaName === 'tool_implementation')!;
    await waitFor(() => implementCall.abortedAt !== null, 10_000, 'the implement activity to abandon its model call');
    assert.ok(implementCall.abortedAt! - cancelledAt < 10_000);

    // The mirror follows the workflow by a write or two.
    const session = await waitFor(
      () => stack.mongo.db.collection('sessions').findOne({ job_id: created.jobId, status: 'cancelled' }),
      5_000,
      'the session to be mirrored as cancelled',
    );
    assert.equal(session?.status, 'cancelled');
    assert.equal(session?.job_status, 'cancelled');
    assert.equal(session?.tool_progress[0].stage, 'cancelled');

    const again = await postJson(`${stack.apiUrl}/jobs/${created.jobId}/cancel`, {});
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'JOB_ALREADY_COMPLETED');
  });

  it('streams stage events in order as Server-Sent Events, ends with the job event, and resumes after Last-Event-ID', async () => {
    stack.model.setScript(catalogueScript(standardCatalogue, { delayMs: 300 }));
    const created = await submit([MOLECULAR_WEIGHT]);
    const stream = await readEventStream(`${stack.apiUrl}/jobs/${created.jobId}/events`);
    assert.equal(stream.status, 200);
    const stages = stream.events.filter((event) => event.event === 'stage');
    assert.deepEqual(
      stages.map((event) => event.data.stage),
      ['planning', 'searching', 'implementing', 'executing', 'registering', 'completed'],
    );
    assert.deepEqual(
      stages.map((event) => event.id),
      ['0-1', '0-2', '0-3', '0-4', '0-5', '0-6'],
    );
    assert.equal(stages[2]!.data.toolName, 'calculate_molecular_weight');
    const final = stream.events.at(-1)!;
    assert.equal(final.event, 'job');
    assert.equal(final.data.status, 'completed');

    const resumed = await readEventStream(`${stack.apiUrl}/jobs/${created.jobId}/events`, '0-3');
    assert.deepEqual(
      resumed.events.map((event) => event.id),
      ['0-4', '0-5', '0-6', '0-final'],
    );

    const missing = await request(`${stack.apiUrl}/jobs/job_000000000000000000000000/events`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'JOB_NOT_FOUND');
  });
});
