import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { activityTaskQueue } from '../../../workflows/activity-options';
import { eventsQuery, progressQuery, type GeneratedToolRef } from '../../../workflows/definitions';
import { REVISIONS_PER_RUN } from '../../../workflows/job-state';
import { LOCAL_MIRROR_PATCH, REUSE_PATCH, SEPARATE_TASK_QUEUES_PATCH } from '../../../workflows/patches';
import { holdUntilCancelled } from './held-attempt';
import {
  DEFAULT_SCRIPT,
  gate,
  jobInput,
  patchMarkers,
  plan,
  scheduledActivities,
  TASK_QUEUE,
  useJobWorkflowHarness,
} from './job-harness';

/** A job's way through the workflow: its stages, names, reuse, a retry run, the queries and a cancel. */
describe('unit: the job workflow, a job from start to end (time-skipping server, stub activities)', function () {
  this.timeout(60_000);
  const harness = useJobWorkflowHarness();

  it('generates a tool: each stage once, on its queue, with its options and summary; mirrored to the end', async () => {
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.']);
    const handle = await harness.start(input);
    const result = await handle.result();

    assert.deepEqual(result, {
      tools: [{ requirementIndex: 0, toolId: 'registered-0', name: 'tool_0' }],
      failures: [],
      summary: { totalRequested: 1, successful: 1, failed: 0, totalTokens: 110, reused: 0 },
    });
    const llm = activityTaskQueue(TASK_QUEUE, 'llm');
    const sandbox = activityTaskQueue(TASK_QUEUE, 'sandbox');
    assert.deepEqual(await scheduledActivities(handle), [
      {
        activity: 'findReusableTools',
        taskQueue: TASK_QUEUE,
        summary: 'look for registered tools to reuse (1 requirements)',
        startToCloseSeconds: 120,
        heartbeatSeconds: 10,
        maximumAttempts: 10,
      },
      {
        activity: 'planTool',
        taskQueue: llm,
        summary: 'plan requirement 1',
        startToCloseSeconds: 300,
        heartbeatSeconds: 10,
        maximumAttempts: 5,
      },
      {
        activity: 'searchDocs',
        taskQueue: TASK_QUEUE,
        summary: 'search docs for tool_0',
        startToCloseSeconds: 600,
        heartbeatSeconds: 10,
        maximumAttempts: 3,
      },
      {
        activity: 'implementTool',
        taskQueue: llm,
        summary: 'implement tool_0, attempt 1',
        startToCloseSeconds: 300,
        heartbeatSeconds: 10,
        maximumAttempts: 5,
      },
      {
        activity: 'validateTool',
        taskQueue: sandbox,
        summary: 'validate tool_0, attempt 1',
        startToCloseSeconds: 180,
        heartbeatSeconds: 10,
        maximumAttempts: 3,
      },
      {
        activity: 'registerTool',
        taskQueue: TASK_QUEUE,
        summary: 'register tool_0',
        startToCloseSeconds: 120,
        heartbeatSeconds: 10,
        maximumAttempts: 10,
      },
    ]);
    assert.deepEqual(
      (await patchMarkers(handle)).sort(),
      [LOCAL_MIRROR_PATCH, REUSE_PATCH, SEPARATE_TASK_QUEUES_PATCH].sort(),
    );

    const [register] = harness.callsOf(input.jobId, 'registerTool');
    assert.deepEqual(register!.input, {
      idempotencyKey: `${input.jobId}:0`,
      tenantId: 'tenant-a',
      jobId: input.jobId,
      sessionId: input.sessionId,
      requirementIndex: 0,
      requirement: input.requirements[0],
      plan: plan('tool_0'),
      draftRef: 'draft-0-1',
      status: 'registered',
      errors: [],
    });
    assert.equal(harness.callsOf(input.jobId, 'implementTool')[0]!.input.repair, null);

    const last = harness.checkedMirror(input.jobId);
    assert.equal(last.jobStatus, 'completed');
    assert.equal(last.sessionStatus, 'completed');
    assert.deepEqual(last.summary, result.summary);
    assert.deepEqual(last.tools, [
      { requirementIndex: 0, stage: 'completed', name: 'tool_0', attempts: 1, toolId: 'registered-0', error: null },
    ]);
    const description = await handle.describe();
    assert.deepEqual(description.searchAttributes['ToolsmithJobStatus'], ['completed']);
    assert.deepEqual(description.searchAttributes['ToolsmithStage'], ['completed']);
  });

  it('gives parallel tools planned with one name unique names', async () => {
    harness.script = { ...DEFAULT_SCRIPT, planTool: () => ({ plan: plan('molecular_weight'), tokens: 10 }) };
    const input = jobInput(['first requirement', 'second requirement', 'third requirement']);
    const result = await (await harness.start(input)).result();

    const expected = ['molecular_weight', 'molecular_weight_2', 'molecular_weight_3'];
    assert.deepEqual(result.tools.map((tool) => tool.name).sort(), expected);
    assert.deepEqual(
      harness
        .callsOf(input.jobId, 'registerTool')
        .map((call) => call.input.plan.functionName)
        .sort(),
      expected,
    );
    assert.deepEqual(
      harness
        .callsOf(input.jobId, 'validateTool')
        .map((call) => call.input.functionName)
        .sort(),
      expected,
    );
  });

  it('reuses a registered tool for an equal requirement: no model call for it', async () => {
    const registered: GeneratedToolRef = { requirementIndex: 0, toolId: 'earlier-tool', name: 'molecular_weight' };
    harness.script = { ...DEFAULT_SCRIPT, findReusableTools: () => [registered] };
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.', 'Convert a temperature.']);
    const handle = await harness.start(input);
    const result = await handle.result();

    assert.deepEqual(harness.callsOf(input.jobId, 'findReusableTools')[0]!.input, {
      tenantId: 'tenant-a',
      requirements: input.requirements.map((requirement, requirementIndex) => ({ requirementIndex, requirement })),
    });
    assert.deepEqual(
      harness.callsOf(input.jobId, 'planTool').map((call) => call.input.requirementIndex),
      [1],
    );
    assert.deepEqual(result.tools, [registered, { requirementIndex: 1, toolId: 'registered-1', name: 'tool_1' }]);
    assert.equal(result.summary.reused, 1);
    assert.equal(result.summary.totalTokens, 110);
    const { tools } = await handle.query(progressQuery);
    assert.deepEqual(tools[0], {
      requirementIndex: 0,
      stage: 'completed',
      name: 'molecular_weight',
      attempts: 0,
      toolId: 'earlier-tool',
      error: null,
      reused: true,
    });
    assert.equal(harness.checkedMirror(input.jobId).reuseTools, true);
  });

  it('does not look for registered tools with reuse off', async () => {
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.'], {
      options: { reuse: false },
    });
    const handle = await harness.start(input);
    await handle.result();

    assert.deepEqual(harness.callsOf(input.jobId, 'findReusableTools'), []);
    assert.deepEqual((await patchMarkers(handle)).sort(), [LOCAL_MIRROR_PATCH, SEPARATE_TASK_QUEUES_PATCH].sort());
    assert.equal(harness.checkedMirror(input.jobId).reuseTools, false);
  });

  it('retries: keeps the earlier run’s tools, generates the rest under its own keys and revisions', async () => {
    const kept: GeneratedToolRef = { requirementIndex: 0, toolId: 'kept-tool', name: 'tool_1' };
    const input = jobInput(['first requirement', 'second requirement'], {
      previousRun: { runNumber: 1, keptTools: [kept] },
    });
    const handle = await harness.start(input);
    const result = await handle.result();
    const workKey = `${input.jobId}~retry1`;

    assert.deepEqual(
      harness
        .callsOf(input.jobId, 'findReusableTools')[0]!
        .input.requirements.map((wanted: any) => wanted.requirementIndex),
      [1],
    );
    assert.deepEqual(
      harness.callsOf(input.jobId, 'planTool').map((call) => call.input.requirementIndex),
      [1],
    );
    assert.equal(harness.callsOf(input.jobId, 'searchDocs')[0]!.input.workKey, workKey);
    assert.equal(harness.callsOf(input.jobId, 'implementTool')[0]!.input.workKey, workKey);
    assert.equal(harness.callsOf(input.jobId, 'registerTool')[0]!.input.idempotencyKey, `${workKey}:1`);
    assert.deepEqual(result.tools, [kept, { requirementIndex: 1, toolId: 'registered-1', name: 'tool_1_2' }]);
    const last = harness.checkedMirror(input.jobId, 1);
    assert.equal(last.runNumber, 1);
    assert.equal(harness.mirrorWrites(input.jobId)[0]!.revision, REVISIONS_PER_RUN + 1);
    assert.equal((await handle.query(eventsQuery, 0)).runNumber, 1);
  });

  it('answers the progress and events queries while a tool is being implemented', async () => {
    const release = gate();
    const implementing = gate();
    harness.script = {
      ...DEFAULT_SCRIPT,
      implementTool: async (input) => {
        implementing.open();
        await release.opened;
        return DEFAULT_SCRIPT.implementTool(input);
      },
    };
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.']);
    const handle = await harness.start(input);
    await implementing.opened;

    const progress = await handle.query(progressQuery);
    assert.equal(progress.status, 'running');
    assert.deepEqual(progress.progress, { total: 1, completed: 0, failed: 0, inProgress: 1, currentTool: 'tool_0' });
    assert.deepEqual(progress.tools, [
      { requirementIndex: 0, stage: 'implementing', name: 'tool_0', attempts: 1, toolId: null, error: null },
    ]);
    const events = await handle.query(eventsQuery, 1);
    assert.deepEqual(events, {
      runNumber: 0,
      status: 'running',
      progress: progress.progress,
      events: [
        { seq: 2, requirementIndex: 0, toolName: 'tool_0', stage: 'searching', attempts: 0 },
        { seq: 3, requirementIndex: 0, toolName: 'tool_0', stage: 'implementing', attempts: 1 },
      ],
    });
    release.open();
    await handle.result();
    const ended = await handle.query(progressQuery);
    assert.equal(ended.status, 'completed');
    assert.equal(ended.progress.currentTool, null);
  });

  it('cancels: the tools in flight are cancelled, the last mirror write says so, the run ends cancelled', async () => {
    const implementing = gate();
    harness.script = {
      ...DEFAULT_SCRIPT,
      implementTool: () => {
        implementing.open();
        return holdUntilCancelled(100);
      },
    };
    const input = jobInput(['Calculate the molecular weight of a compound from SMILES.', 'Convert a temperature.']);
    const handle = await harness.start(input);
    await implementing.opened;
    await handle.cancel();
    const error = await handle.result().then(
      () => assert.fail('the job should end cancelled'),
      (failure: unknown) => failure,
    );

    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof CancelledFailure, String(error.cause));
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    const last = harness.checkedMirror(input.jobId);
    assert.equal(last.jobStatus, 'cancelled');
    assert.equal(last.sessionStatus, 'cancelled');
    assert.deepEqual(
      last.tools.map((tool) => tool.stage),
      ['cancelled', 'cancelled'],
    );
    assert.equal(last.progress.currentTool, null);
    assert.deepEqual(harness.callsOf(input.jobId, 'registerTool'), [], 'a cancelled tool keeps no failed draft');
  });
});
